// Drives the resident site in headless Chromium and runs axe-core on every page.
// Usage: node run.mjs BASE_URL OUT_DIR  (prints one JSON report on stdout)
// The Rust test tests/tests/web_browser.rs starts the server and judges the report.
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import puppeteer from "puppeteer-core";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node run.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const report = { pages: {}, checks: {}, cspViolations: [] };

const browser = await puppeteer.launch({
  executablePath,
  headless: true,
  args: ["--no-sandbox", "--disable-dev-shm-usage", "--lang=sv-SE"],
});

async function newPage({ javascript = true } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1024, height: 800 });
  await page.setJavaScriptEnabled(javascript);
  page.on("console", (msg) => {
    const text = msg.text();
    if (/Content Security Policy|Refused to/i.test(text)) report.cspViolations.push(text);
  });
  return page;
}

// axe runs in the page through the DevTools protocol (not a <script>), so the site's
// strict CSP stays on while it is checked; pages with scripts off get it the same way.
async function audit(page, name) {
  const client = await page.createCDPSession();
  await client.send("Runtime.evaluate", { expression: axeSource });
  const { result } = await client.send("Runtime.evaluate", {
    expression: `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })
      .then(r => JSON.stringify({ violations: r.violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(" ")) })), passes: r.passes.length }))`,
    awaitPromise: true,
    returnByValue: true,
  });
  await client.detach();
  const parsed = JSON.parse(result.value);
  report.pages[name] = { url: page.url(), title: await page.title(), ...parsed };
  await page.screenshot({ path: `${outDir}/${name}.png`, fullPage: true });
}

async function go(page, path) {
  const response = await page.goto(new URL(path, base).href, { waitUntil: "load" });
  return response.status();
}

async function submitForm(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form[method=post] button[type=submit]")]);
}

try {
  // 1. Start page: find Mellerud by searching, with the keyboard.
  const page = await newPage();
  await go(page, "/");
  await audit(page, "start");
  await page.focus("#sok");
  await page.keyboard.type("Mellerud");
  await Promise.all([page.waitForNavigation(), page.keyboard.press("Enter")]);
  const link = await page.$$eval("ul.municipalities a", (as) => as.map((a) => ({ text: a.textContent, href: a.getAttribute("href") })));
  report.checks.searchFinds = link.some((l) => l.text.startsWith("Mellerud"));
  await audit(page, "search");

  // 2. The municipality page, and at 320 px without sideways scrolling.
  await go(page, "/kommun/mellerud");
  await audit(page, "municipality");
  report.checks.emergencyNoticeBeforeForm = await page.$eval("main", (m) => {
    const text = m.innerText;
    return text.indexOf("112") >= 0 && text.indexOf("112") < text.indexOf("Kontakt");
  });
  await page.setViewport({ width: 320, height: 640 });
  report.checks.noSidewaysScrollAt320 = await page.evaluate(() => document.documentElement.scrollWidth <= 320);
  await page.screenshot({ path: `${outDir}/municipality-320.png`, fullPage: true });
  await page.setViewport({ width: 1024, height: 800 });

  // 3. The tip form, reached by the link whose text names tips.
  await Promise.all([page.waitForNavigation(), page.click("a.button")]);
  report.checks.formLinkNamesTips = /tips|synpunkter|idéer/i.test(await page.title());
  await audit(page, "tip-form");

  // 4. Keyboard alone: Tab reaches the message field and the send button, with a
  //    visible focus.
  await page.focus("body");
  const reached = new Set();
  let outlineSeen = false;
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      return { id: el.id, tag: el.tagName, outline: style.outlineStyle !== "none" && style.outlineWidth !== "0px" };
    });
    reached.add(info.id || info.tag);
    if (info.outline) outlineSeen = true;
  }
  report.checks.keyboardReachesMessage = reached.has("message");
  report.checks.keyboardReachesSend = reached.has("BUTTON");
  report.checks.focusVisible = outlineSeen;

  // 5. Errors: sent empty, the summary links to its fields and everything typed stays.
  await page.type("#name", "Anna Andersson");
  await page.type("#message", "kort");
  await submitForm(page);
  report.checks.errorSummaryLinks = await page.$$eval(".error-summary a", (as) =>
    as.every((a) => document.getElementById(a.getAttribute("href").slice(1)) !== null) && as.length > 0);
  report.checks.errorKeepsInput = (await page.$eval("#name", (e) => e.value)) === "Anna Andersson";
  report.checks.errorText = await page.$eval(".error-summary", (e) => e.innerText);
  await audit(page, "tip-form-errors");

  // 6. Fixed and sent with a double click: one tip, and the receipt.
  await page.click(".error-summary a[href='#message']");
  report.checks.summaryLinkFocusesField = await page.evaluate(() => document.activeElement.id === "message" || location.hash === "#message");
  await page.$eval("#message", (e) => (e.value = ""));
  await page.type("#message", "Bilar kör för fort på Storgatan vid skolan på morgonen.");
  await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("form[method=post] button[type=submit]", { count: 2 }),
  ]);
  const reference = await page.$eval(".reference", (e) => e.textContent.trim());
  report.checks.reference = reference;
  await audit(page, "receipt");

  // 7. The status page from the receipt's link.
  await Promise.all([page.waitForNavigation(), page.click("a[href^='/status?']")]);
  report.checks.statusText = await page.$eval(".status", (e) => e.textContent.trim());
  await audit(page, "status");
  await go(page, "/status?referens=MEL-0000-00&kod=fel");
  await audit(page, "status-not-found");

  // 8. The accessibility statement.
  await go(page, "/tillganglighet");
  await audit(page, "accessibility");

  // 9. Scripts off: the whole flow still works.
  const plain = await newPage({ javascript: false });
  await go(plain, "/kommun/mellerud/tips");
  await plain.type("#message", "Gatlyktan vid busshållplatsen är trasig sedan en vecka.");
  await submitForm(plain);
  report.checks.noScriptReference = await plain.$eval(".reference", (e) => e.textContent.trim()).catch(() => null);

  // 10. Over the limit: the friendly page (the test sets a small invalid-attempt limit).
  let status = 0;
  for (let i = 0; i < 20 && status !== 429; i++) {
    await go(page, "/kommun/mellerud/tips");
    await page.type("#message", "x");
    const [response] = await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      page.$eval("form[method=post]", (f) => f.requestSubmit()),
    ]);
    status = response.status();
  }
  report.checks.rateLimitStatus = status;
  await audit(page, "rate-limited");
} catch (err) {
  report.error = String(err && err.stack ? err.stack : err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
