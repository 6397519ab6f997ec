// Issue 15 item 4: on a phone (390x844) and in a 1280x800 window at 200 % zoom (640x400
// CSS pixels), nothing overflows sideways, the hospital's name is not cut, Log out is
// reachable through the header's menu (a keyboard-operable disclosure), every study's
// export button can be scrolled into view, and Patient Details' download buttons show.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { users } from "../lib/api.mjs";
import { launch, logIn, openApp, openMenu, screenshot, sizes } from "../lib/browser.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** Neither the page nor any scrolling box in it (a table's, a dialog's) scrolls sideways. */
async function assertNoSidewaysOverflow(page, what) {
  const { scrollWidth, innerWidth, boxes } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    boxes: [...document.querySelectorAll("body *")]
      .filter((element) => ["auto", "scroll"].includes(getComputedStyle(element).overflowX))
      .filter((element) => element.scrollWidth > element.clientWidth + 1)
      .map((element) => `${element.tagName.toLowerCase()}.${element.className}: ${element.scrollWidth} > ${element.clientWidth}`),
  }));
  assert.ok(scrollWidth <= innerWidth, `${what}: the page is ${scrollWidth} px wide in a ${innerWidth} px window`);
  assert.deepEqual(boxes, [], `${what}: boxes that scroll sideways`);
}

/**
 * Scrolls the element into view and asserts it lies wholly inside the window (to a
 * pixel's rounding) and is what a tap at its centre hits (not clipped by a scrolling
 * box, not covered).
 */
async function assertShownInWindow(locator, what) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  const { width, height } = locator.page().viewportSize();
  assert.ok(box, `${what}: not rendered`);
  assert.ok(box.x >= 0 && box.y >= -1 && box.x + box.width <= width && box.y + box.height <= height + 1, `${what}: at ${JSON.stringify(box)} outside ${width}x${height}`);
  const hit = await locator.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return element.contains(document.elementFromPoint(rect.x + rect.width / 2, rect.y + rect.height / 2));
  });
  assert.ok(hit, `${what}: hidden (clipped or covered) at ${JSON.stringify(box)}`);
}

for (const size of ["phone", "zoom200"]) {
  test(`the narrow layout at ${size} size hides nothing`, async () => {
    const page = await openApp(browser, { viewport: sizes[size] });
    await logIn(page, users.northAdmin);
    const header = page.getByRole("banner");

    const hospital = header.getByText("Northside General");
    await hospital.waitFor();
    const clip = await hospital.evaluate((element) => ({ scroll: element.scrollWidth, client: element.clientWidth }));
    assert.ok(clip.scroll <= clip.client, `the hospital's name is cut: ${JSON.stringify(clip)}`);

    // The menu: closed at first, opened and closed by keyboard, holding the views and Log out.
    const menu = header.getByRole("button", { name: "Menu" });
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    assert.equal(await header.getByRole("button", { name: "Log out" }).isVisible(), false);
    await menu.focus();
    await page.keyboard.press("Enter");
    assert.equal(await menu.getAttribute("aria-expanded"), "true");
    await assertShownInWindow(header.getByRole("button", { name: "Log out" }), "Log out");
    await screenshot(page, `17-${size}-menu`);
    await page.keyboard.press("Escape");
    assert.equal(await menu.getAttribute("aria-expanded"), "false");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent?.trim()), "Menu");
    await openMenu(page);
    await header.getByRole("link", { name: "Studies" }).click();
    await page.getByRole("heading", { name: "Studies", level: 1 }).waitFor();
    assert.equal(await menu.getAttribute("aria-expanded"), "false", "following a view closes the menu");

    const rows = page.locator("tbody tr");
    await rows.first().waitFor();
    await assertNoSidewaysOverflow(page, "studies");
    await screenshot(page, `17-${size}-studies`);
    const count = await rows.count();
    assert.ok(count >= 5);
    for (let i = 0; i < count; i++) {
      await assertShownInWindow(rows.nth(i).getByRole("button", { name: /^Download study/ }), `row ${i}'s export button`);
    }

    await page.goto("/patients");
    await page.getByRole("list", { name: "Patients" }).waitFor();
    await assertNoSidewaysOverflow(page, "patients");
    await page.getByRole("button", { name: /^Open details of Anonymized/ }).click();
    const details = page.getByRole("dialog", { name: "Patient Details" });
    const downloads = details.getByRole("button", { name: /^Download study/ });
    await downloads.first().waitFor();
    await assertNoSidewaysOverflow(page, "Patient Details");
    for (let i = 0; i < (await downloads.count()); i++) {
      await assertShownInWindow(downloads.nth(i), `Patient Details' download button ${i}`);
    }
    await assertShownInWindow(details.getByRole("button", { name: "Export Data" }), "Patient Details' Export Data");
    await screenshot(page, `17-${size}-patient-details`);
    await page.context().close();
  });
}
