// Photos in headless Chromium: the resident's form with scripts off (a photo chosen in
// the file field, the photo's position asked for), the form's error for a file that lies
// about its type, and the staff tip page showing the photo through the inbox's session.
// axe-core runs on each page.
// Usage: node photos.mjs BASE_URL OUT_DIR PHOTO_WITH_GPS LYING_FILE REFERENCE COOKIE
// (prints one JSON report on stdout; tests/tests/photos_browser.rs judges it)
import { PATIENCE_MS, start } from "./harness.mjs";

const [base, outDir, photo, lying, reference, cookie] = process.argv.slice(2);
if (!cookie) {
  console.error("usage: node photos.mjs BASE_URL OUT_DIR PHOTO LYING_FILE REFERENCE COOKIE");
  process.exit(2);
}
const { report, newPage, audit, finish } = await start(outDir);

async function fillAndSend(page, file) {
  await page.goto(new URL("/kommun/mellerud/tips", base).href, { waitUntil: "load" });
  await page.type("#message", "Klotter på skolans vägg, se bilden.");
  const input = await page.$("#photos");
  await input.uploadFile(file);
  await page.click("#use_photo_location");
  const response = await Promise.all([
    page.waitForNavigation({ waitUntil: "load" }),
    page.click("form[method=post] button[type=submit]"),
  ]);
  return response[0].status();
}

try {
  // 1. Scripts off: the photo goes with a plain multipart POST.
  const resident = await newPage({ javascript: false });
  await resident.goto(new URL("/kommun/mellerud/tips", base).href, { waitUntil: "load" });
  report.checks.formIsMultipart = await resident.$eval("form[method=post]", (f) => f.enctype === "multipart/form-data");
  report.checks.photoFieldLabelled = await resident.$eval("label[for=photos]", (l) => l.textContent.trim().length > 0);
  await audit(resident, "tip-form-photos");
  report.checks.sentStatus = await fillAndSend(resident, photo);
  report.checks.receiptReference = await resident.$eval("main", (m) => (m.innerText.match(/MEL-[A-Z0-9-]+/) || [null])[0]);
  await audit(resident, "receipt-photos");

  // 2. A file that lies about its type: an error at the photo field, text kept.
  const errors = await newPage({ javascript: false });
  report.checks.lyingStatus = await fillAndSend(errors, lying);
  report.checks.lyingSummaryLinksToField = await errors.$$eval(".error-summary a", (as) => as.some((a) => a.getAttribute("href") === "#photos"));
  report.checks.lyingFieldError = await errors.$eval("#photos-fel", (p) => p.innerText).catch(() => null);
  report.checks.lyingMessageKept = await errors.$eval("#message", (t) => t.value);
  await audit(errors, "tip-form-photo-error");

  // 3. The staff tip page shows the photo, fetched with the page's session cookie.
  const staff = await newPage();
  const [name, value] = cookie.split("=");
  await staff.setCookie({ name, value, url: new URL("/staff", base).href });
  await staff.goto(new URL(`/staff/tips/${reference}`, base).href, { waitUntil: "load" });
  // The photos are lazy images: the page's load event does not wait for them. Bring them
  // into view and give them until they have loaded (or failed); the report says which.
  await staff.$$eval(".photos img", (imgs) => imgs.forEach((i) => i.scrollIntoView()));
  await staff
    .waitForFunction(() => [...document.querySelectorAll(".photos img")].every((i) => i.complete), {
      timeout: PATIENCE_MS,
    })
    .catch(() => {});
  report.checks.staffImages = await staff.$$eval(".photos img", (imgs) =>
    imgs.map((i) => ({ alt: i.alt, loaded: i.complete && i.naturalWidth > 0, width: i.naturalWidth })),
  );
  report.checks.staffPlaceShown = await staff.$eval("main", (m) => m.innerText.includes("Plats"));
  await audit(staff, "staff-tip-photos");
  await finish();
} catch (e) {
  await finish(e);
}
