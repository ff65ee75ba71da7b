// Drives the staff pages in headless Chromium and runs axe-core on each: the kommunpolis
// opens the inbox link from the tip email, signs in with the one-time link from the
// sign-in email, reads the tip, tries an empty reply, marks the tip handled and sees
// the resident's status page follow; an editor edits a promise (with and without errors).
// Usage: node staff.mjs BASE_URL OUT_DIR  (prints one JSON report on stdout)
// Environment: INBOX_LINK (from the tip email), STATUS_PATH (the resident's status page),
// RECIPIENT and EDITOR (addresses), LINKS_DIR (where the Rust test writes the newest
// sign-in link it found in each address's email, as <address>.txt).
import { readFileSync, existsSync, rmSync } from "node:fs";
import { PATIENCE_MS, start } from "./harness.mjs";

const [base, outDir] = process.argv.slice(2);
const { INBOX_LINK, STATUS_PATH, RECIPIENT, EDITOR, LINKS_DIR } = process.env;
if (!base || !outDir || !INBOX_LINK || !STATUS_PATH || !RECIPIENT || !EDITOR || !LINKS_DIR) {
  console.error("usage: INBOX_LINK=… STATUS_PATH=… RECIPIENT=… EDITOR=… LINKS_DIR=… node staff.mjs BASE_URL OUT_DIR");
  process.exit(2);
}
const { browser, report, newPage, audit } = await start(outDir);

async function go(page, url) {
  const response = await page.goto(new URL(url, base).href, { waitUntil: "load" });
  return response.status();
}

async function submit(page, formSelector) {
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click(`${formSelector} button[type=submit]`),
  ]);
  return response ? response.status() : 0;
}

// The newest sign-in link in `address`'s email, as the Rust test found it there.
async function emailedLink(address) {
  const file = `${LINKS_DIR}/${address}.txt`;
  for (const deadline = Date.now() + PATIENCE_MS; Date.now() < deadline; ) {
    if (existsSync(file)) return readFileSync(file, "utf8").trim();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no sign-in email for ${address}`);
}

// Ask for a link on the sign-in page (already open) and sign in with the emailed one.
async function signIn(page, address, auditAs) {
  rmSync(`${LINKS_DIR}/${address}.txt`, { force: true });
  await page.type("#email", address);
  await submit(page, "form[method=post]");
  if (auditAs) await audit(page, `${auditAs}-sent`);
  await go(page, await emailedLink(address));
  if (auditAs) await audit(page, `${auditAs}-confirm`);
  await submit(page, "form[method=post]");
}

try {
  // 1. The kommunpolis opens the inbox link from the tip email: the sign-in page first.
  const polis = await newPage({ ownCookies: true });
  await go(polis, INBOX_LINK);
  report.checks.linkAsksToSignIn = new URL(polis.url()).pathname === "/staff/logga-in";
  await audit(polis, "staff-signin");
  await signIn(polis, RECIPIENT, "staff-signin");
  // 2. Signed in, the browser is back on the tip the email linked to.
  report.checks.tipOpens = new URL(polis.url()).href === new URL(INBOX_LINK).href;
  report.checks.concerns = await polis.$$eval("dt", (dts) => {
    const dt = dts.find((d) => d.textContent.trim() === "Gäller");
    return dt ? dt.nextElementSibling.textContent.trim() : null;
  });
  await audit(polis, "staff-tip");
  await go(polis, "/staff");
  report.checks.inboxListsTip = (await polis.$$eval("table a", (as) => as.map((a) => a.href))).includes(INBOX_LINK);
  await audit(polis, "staff-inbox");
  await polis.screenshot({ path: `${outDir}/staff-inbox.png`, fullPage: false });

  // 3. An empty reply: the error by the field and in the summary.
  await go(polis, INBOX_LINK);
  await submit(polis, "form[action$='/svara']");
  report.checks.replyError = await polis.$eval(".error-summary", (e) => e.innerText).catch(() => "");
  report.checks.replySummaryLinks = await polis.$$eval(".error-summary a", (as) =>
    as.length > 0 && as.every((a) => document.getElementById(a.getAttribute("href").slice(1)) !== null));
  await audit(polis, "staff-tip-errors");

  // 4. A status form without its CSRF token: refused with 403, and the tip is unchanged.
  await go(polis, INBOX_LINK);
  const statusBefore = await polis.$eval("dl dd", (e) => e.textContent.trim());
  await polis.$eval("form[action$='/status'] input[name=csrf]", (e) => e.remove());
  await polis.select("#new-status", "HANDLED");
  await polis.type("#status-note", "Utan säkerhetskod.");
  report.checks.csrfRefusedStatus = await submit(polis, "form[action$='/status']");
  report.checks.csrfRefusedText = await polis.$eval("main", (e) => e.innerText).catch(() => "");
  await go(polis, INBOX_LINK);
  report.checks.csrfStatusBefore = statusBefore;
  report.checks.csrfStatusAfter = await polis.$eval("dl dd", (e) => e.textContent.trim());
  report.checks.csrfNoteNotStored = !(await polis.$eval("main", (e) => e.innerText)).includes("Utan säkerhetskod.");

  // 5. Marked handled: the page says "Hanterad", and so does the resident's status page.
  await go(polis, INBOX_LINK);
  await polis.select("#new-status", "HANDLED");
  await polis.type("#status-note", "Kontrollerat på plats.");
  await submit(polis, "form[action$='/status']");
  report.checks.tipStatus = await polis.$eval("dl dd", (e) => e.textContent.trim());
  await audit(polis, "staff-tip-handled");
  const resident = await newPage({ ownCookies: true });
  await go(resident, STATUS_PATH);
  report.checks.residentStatus = await resident.$eval(".status", (e) => e.textContent.trim());

  // 6. A revoked session: keep the session cookie, sign out, put the cookie back; the
  //    server no longer knows it, so /staff shows the sign-in page.
  await go(polis, "/staff");
  const session = async () => (await polis.browserContext().cookies()).find((c) => c.name === "staff_session");
  const saved = await session();
  report.checks.sessionCookieSaved = saved !== undefined && saved.httpOnly;
  await submit(polis, "form[action='/staff/logga-ut']");
  report.checks.signedOutTo = new URL(polis.url()).pathname;
  report.checks.signOutClearedCookie = (await session()) === undefined;
  const { name, value, domain, path, httpOnly, secure, sameSite } = saved;
  await polis.browserContext().setCookie({ name, value, domain, path, httpOnly, secure, sameSite });
  report.checks.sessionCookieRestored = (await session())?.value === value;
  await go(polis, "/staff");
  report.checks.revokedSessionPath = new URL(polis.url()).pathname;
  report.checks.revokedSessionSignInForm = (await polis.$("form[action^='/staff/logga-in'] #email")) !== null;
  report.checks.revokedSessionSeesNoInbox = !(await polis.$eval("main", (e) => e.innerText)).includes(RECIPIENT);

  // 7. The editor: the list, the promise form, the form with an error.
  const editor = await newPage({ ownCookies: true });
  await go(editor, "/staff/logga-in");
  await signIn(editor, EDITOR, null);
  report.checks.editorLandsOnEditor = new URL(editor.url()).pathname === "/staff/redigera";
  await audit(editor, "staff-edit-list");
  await Promise.all([editor.waitForNavigation({ waitUntil: "load" }), editor.click("a[href^='/staff/redigera/loften/']")]);
  await audit(editor, "staff-edit-promise");
  await editor.$eval("#title", (e) => (e.value = ""));
  const status = await submit(editor, "form[action^='/staff/redigera/loften/']");
  report.checks.editErrorStatus = status;
  report.checks.editError = await editor.$eval(".error-summary", (e) => e.innerText).catch(() => "");
  await audit(editor, "staff-edit-promise-errors");
  await editor.type("#title", "Trygg i Mellerud – uppdaterad");
  await submit(editor, "form[action^='/staff/redigera/loften/']");
  report.checks.editSaved = await editor.$eval(".notice", (e) => e.innerText).catch(() => "");
  await audit(editor, "staff-edit-promise-saved");
} catch (err) {
  report.error = String(err && err.stack ? err.stack : err);
} finally {
  await browser.close();
}
console.log(JSON.stringify(report));
