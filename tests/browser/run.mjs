// Drives the resident site in headless Chromium and runs axe-core on every page.
// Usage: node run.mjs BASE_URL OUT_DIR  (prints one JSON report on stdout)
// The Rust test tests/tests/web_browser.rs starts the server and judges the report.
import { start } from "./harness.mjs";
import { DESKTOP, siteFocusStyle, focused, showsSiteFocus } from "./layout.mjs";

const [base, outDir] = process.argv.slice(2);
if (!base || !outDir) {
  console.error("usage: node run.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
const { browser, report, newPage, audit } = await start(outDir);

async function go(page, path) {
  const response = await page.goto(new URL(path, base).href, { waitUntil: "load" });
  return response.status();
}

async function submitForm(page) {
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form[method=post] button[type=submit]")]);
}

async function keyboardFlow() {
  const kb = await newPage();
  await go(kb, "/kommun/mellerud/tips");
  const site = await kb.evaluate(siteFocusStyle);
  report.checks.siteFocusRule = site;
  const notShown = [];
  const seen = [];
  // Tab once, and what has the focus then.
  const tab = async () => {
    await kb.keyboard.press("Tab");
    const f = await kb.evaluate(focused);
    seen.push(f.id || f.href || `${f.tag}:${f.text}`);
    if (!showsSiteFocus(f, site)) notShown.push(f);
    return f;
  };
  // Tab until `done(f)` or `max` presses; the element it stopped on, or null.
  const tabTo = async (done, max = 40) => {
    for (let i = 0; i < max; i++) {
      const f = await tab();
      if (done(f)) return f;
    }
    return null;
  };
  const kind = await tabTo((f) => f.tag === "INPUT" && f.type === "radio");
  await kb.keyboard.press("ArrowDown");
  const chosen = await kb.evaluate(() => ({ active: document.activeElement.id, checked: document.querySelector("input[name=kind]:checked")?.value }));
  const chosenFocus = await kb.evaluate(focused);
  if (!showsSiteFocus(chosenFocus, site)) notShown.push(chosenFocus);
  report.checks.keyboardChoosesKind = kind !== null && chosen.active === "kind-opinion" && chosen.checked === "OPINION";
  // Tab on through the form, typing into the fields a resident fills in as Tab reaches
  // them and ticking "Jag vill ha svar" with Space, until the send button has the focus.
  const typed = {
    message: "Gatubelysningen på Järnvägsgatan är släckt sedan i måndags.",
    name: "Tangent Bordsson",
    email: "tangent@example.se",
  };
  let reachedMessage = false;
  let last = null;
  for (let i = 0; i < 60; i++) {
    last = await tab();
    if (typed[last.id] !== undefined) {
      await kb.keyboard.type(typed[last.id]);
      if (last.id === "message") reachedMessage = true;
    }
    if (last.id === "wants_reply") await kb.keyboard.press("Space");
    if (last.tag === "BUTTON" && last.type === "submit") break;
  }
  report.checks.keyboardTabOrder = seen.slice();
  report.checks.keyboardReachesMessage = reachedMessage;
  report.checks.keyboardReachesSend = await kb.evaluate(
    () => document.activeElement === document.querySelector("form[method=post][action$='/tips'] button[type=submit]"),
  );
  report.checks.keyboardSubmitShowsSiteFocus = last !== null && showsSiteFocus(last, site);
  report.checks.keyboardFilledIn = await kb.evaluate(() => ({
    message: document.getElementById("message").value,
    name: document.getElementById("name").value,
    email: document.getElementById("email").value,
    wantsReply: document.getElementById("wants_reply").checked,
  }));
  await Promise.all([kb.waitForNavigation({ waitUntil: "load" }), kb.keyboard.press("Enter")]);
  report.checks.keyboardReference = await kb.$eval(".reference", (e) => e.textContent.trim()).catch(() => null);
  const statusLink = await tabTo((f) => (f.href || "").startsWith("/status?"));
  report.checks.keyboardReachesStatusLink = statusLink !== null;
  await Promise.all([kb.waitForNavigation({ waitUntil: "load" }), kb.keyboard.press("Enter")]);
  report.checks.keyboardStatusPage = new URL(kb.url()).pathname === "/status";
  report.checks.keyboardStatusText = await kb.$eval(".status", (e) => e.textContent.trim()).catch(() => null);
  report.checks.focusNotShown = notShown;
  report.checks.focusVisible = site !== null && notShown.length === 0 && seen.length > 5;
  await kb.close();
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
  await page.setViewport(DESKTOP);

  // 3. The tip form, reached by the link whose text names tips.
  await Promise.all([page.waitForNavigation(), page.click("a.button")]);
  report.checks.formLinkNamesTips = /tips|synpunkter|idéer/i.test(await page.title());
  // What the page hides (the script's "Ta bort positionen" without a position) is hidden.
  report.checks.hiddenIsHidden = await page.$$eval("[hidden]", (els) => els.every((e) => getComputedStyle(e).display === "none"));
  await audit(page, "tip-form");

  // 4. The whole tip flow by keyboard alone, in a page of its own: Tab from the top to
  //    the kind, arrow keys to choose it, Tab to each field and type, Tab to the send
  //    button itself and Enter; on the receipt Tab to the status link and Enter. Every
  //    element that takes the focus must show the site's own :focus-visible style.
  await keyboardFlow();

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
