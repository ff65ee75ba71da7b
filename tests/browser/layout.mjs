import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

// Checks shared by run.mjs and staff.mjs that axe-core does not make: reflow at 320 px
// and at 200 % zoom (WCAG 1.4.10, 1.4.4), and a focus indicator drawn by the site's own
// :focus-visible rule (WCAG 2.4.7) rather than the browser's default ring.

// The desktop viewport the runs use between checks.
export const DESKTOP = { width: 1024, height: 800, deviceScaleFactor: 1 };

// 320 CSS px wide (WCAG's reflow width), and a 1280 px wide window at 200 % zoom: 640 CSS
// px at two device pixels each, as the browser lays a zoomed page out.
export const LAYOUTS = [
  { check: "At320", viewport: { width: 320, height: 640, deviceScaleFactor: 1 } },
  { check: "AtZoom200", viewport: { width: 640, height: 400, deviceScaleFactor: 2 } },
];

// The names of the checks layoutChecks reports, for the Rust tests to list.
export const LAYOUT_CHECKS = LAYOUTS.flatMap(({ check }) => [`noSidewaysScroll${check}`, `noClippedText${check}`]);

// Runs in the page: the document's width against the window's, and every piece of text
// that reaches past the window's sides or past an ancestor that hides its overflow.
// Text hidden on purpose (.visually-hidden or any other 1 px clipping box, the skip
// link until focused, closed <details>, options of a closed <select>, a textarea's own
// value) is not looked at.
function measure() {
  const where = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += `#${el.id}`;
    else if (el.classList.length) s += `.${[...el.classList].join(".")}`;
    return s;
  };
  const clips = (el) => {
    const s = getComputedStyle(el);
    return ["hidden", "clip"].includes(s.overflowX) || ["hidden", "clip"].includes(s.overflowY) || s.textOverflow === "ellipsis";
  };
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || !node.textContent.trim()) continue;
    if (parent.closest(".visually-hidden, .skip, script, style, select, textarea, template")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
    const text = node.textContent.trim().replace(/\s+/g, " ").slice(0, 40);
    for (const r of rects) {
      if (r.left < -0.5 || r.right > innerWidth + 0.5) {
        problems.push(`${where(parent)} "${text}" reaches past the window (${Math.round(r.left)}..${Math.round(r.right)} of ${innerWidth} px)`);
        break;
      }
      let cut = null;
      for (let a = parent; a && a !== document.documentElement && !cut; a = a.parentElement) {
        if (!clips(a)) continue;
        const b = a.getBoundingClientRect();
        // A 1 px box that hides its text is for screen readers only, on purpose.
        if (b.width <= 1 && b.height <= 1) break;
        if (r.left < b.left - 0.5 || r.right > b.right + 0.5 || r.top < b.top - 0.5 || r.bottom > b.bottom + 0.5) cut = a;
      }
      if (cut) {
        problems.push(`${where(parent)} "${text}" is cut off by ${where(cut)}`);
        break;
      }
    }
  }
  return { scrollWidth: document.documentElement.scrollWidth, innerWidth, problems };
}

// The page at each layout: { noSidewaysScrollAt320: bool, noClippedTextAt320: bool, …,
// details: { At320: { scrollWidth, innerWidth, problems }, … } }; back to `restore` after.
// With `shots`, a screenshot at each layout is saved as `${shots}-${check}.png`.
export async function layoutChecks(page, restore = DESKTOP, shots = null) {
  const result = { details: {} };
  if (shots) mkdirSync(dirname(shots), { recursive: true });
  for (const { check, viewport } of LAYOUTS) {
    await page.setViewport(viewport);
    const m = await page.evaluate(measure);
    if (shots) await page.screenshot({ path: `${shots}-${check}.png`, fullPage: true });
    result[`noSidewaysScroll${check}`] = m.scrollWidth <= m.innerWidth;
    result[`noClippedText${check}`] = m.problems.length === 0;
    result.details[check] = m;
  }
  await page.setViewport(restore);
  return result;
}

// Runs in the page: the computed outline and box shadow that the site's own
// `:focus-visible` rule gives an element (read from site.css through the CSSOM and
// applied to a probe), or null when the stylesheet has no such rule.
export function siteFocusStyle() {
  for (const sheet of document.styleSheets) {
    for (const rule of sheet.cssRules) {
      if (rule.selectorText !== ":focus-visible") continue;
      const probe = document.createElement("span");
      probe.style.cssText = rule.style.cssText;
      document.body.append(probe);
      const s = getComputedStyle(probe);
      const style = { outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor, outlineOffset: s.outlineOffset, boxShadow: s.boxShadow };
      probe.remove();
      return style;
    }
  }
  return null;
}

// Runs in the page: what has the focus, and its focus style as computed now.
export function focused() {
  const el = document.activeElement;
  const s = getComputedStyle(el);
  return {
    id: el.id,
    tag: el.tagName,
    type: el.getAttribute("type"),
    href: el.getAttribute("href"),
    text: (el.textContent || "").trim().slice(0, 40),
    focusVisible: el.matches(":focus-visible"),
    style: { outlineStyle: s.outlineStyle, outlineWidth: s.outlineWidth, outlineColor: s.outlineColor, outlineOffset: s.outlineOffset, boxShadow: s.boxShadow },
  };
}

// Whether `f` (from focused()) shows exactly the site's focus style `site`.
export function showsSiteFocus(f, site) {
  return site !== null && f.focusVisible && Object.keys(site).every((k) => f.style[k] === site[k]);
}
