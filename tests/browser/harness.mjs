// What every browser script shares: headless Chromium (Debian's, through puppeteer-core),
// a report object printed as JSON at the end, pages that record CSP violations, and the
// audit of a page: axe-core's WCAG 2.1 A and AA rules, a screenshot, and the reflow
// checks at 320 px and 200 % zoom (layout.mjs).
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";
import { DESKTOP, layoutChecks } from "./layout.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

// How long any wait may take: as long as the Rust tests' `e2e::PATIENCE`, because a
// 2-core machine running the suite is slow and a condition that holds is seen at once.
export const PATIENCE_MS = 60000;

export async function start(outDir) {
  mkdirSync(outDir, { recursive: true });
  const report = { pages: {}, checks: {}, cspViolations: [] };
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: PATIENCE_MS,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--lang=sv-SE"],
  });

  // `ownCookies`: a browser context of its own (one person's cookies).
  async function newPage({ javascript = true, ownCookies = false } = {}) {
    const page = ownCookies ? await (await browser.createBrowserContext()).newPage() : await browser.newPage();
    page.setDefaultTimeout(PATIENCE_MS);
    page.setDefaultNavigationTimeout(PATIENCE_MS);
    await page.setViewport(DESKTOP);
    await page.setJavaScriptEnabled(javascript);
    page.on("console", (msg) => {
      const text = msg.text();
      if (/Content Security Policy|Refused to/i.test(text)) report.cspViolations.push(text);
    });
    return page;
  }

  // axe runs in the page through the DevTools protocol (not a <script>), so the site's
  // strict CSP stays on while it is checked. That needs script execution: a page loaded
  // with scripts off has it switched on for the audit only (its own scripts never ran).
  async function audit(page, name) {
    // Headless Chromium may never paint a tab in the background: a screenshot of one
    // can hang until the protocol times out. The audited page comes to the front first.
    await page.bringToFront();
    const scriptsOff = !page.isJavaScriptEnabled();
    if (scriptsOff) await page.setJavaScriptEnabled(true);
    const client = await page.createCDPSession();
    await client.send("Runtime.evaluate", { expression: axeSource });
    const { result } = await client.send("Runtime.evaluate", {
      expression: `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
        .then(r => JSON.stringify({ violations: r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")) })), passes: r.passes.length }))`,
      awaitPromise: true,
      returnByValue: true,
    });
    await client.detach();
    report.pages[name] = { url: page.url(), title: await page.title(), ...JSON.parse(result.value) };
    await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
    // Reflow: at 320 px and at 200 % zoom, no sideways scrolling and no text cut off.
    report.pages[name].layout = await layoutChecks(page, DESKTOP, `${outDir}/layout/${name}`);
    if (scriptsOff) await page.setJavaScriptEnabled(false);
  }

  // Print the report (with the error that ended the run, if any) and close the browser.
  async function finish(error) {
    if (error) report.error = String(error && error.stack ? error.stack : error);
    await browser.close();
    console.log(JSON.stringify(report));
  }

  return { browser, report, newPage, audit, finish };
}
