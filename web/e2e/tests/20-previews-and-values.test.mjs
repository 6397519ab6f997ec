// Issue 15 items 15 (thumbnails) and 17: a study without a renderable image shows a "no
// preview" icon, and no request fails or logs an error for it; a click on a thumbnail
// enlarges it (the server renders 512 px); unknown values are left out, not shown as "—"
// pieces, and study times read HH:MM.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";

let browser;
let page;
const problems = [];
before(async () => {
  browser = await launch();
  page = await openApp(browser);
  page.on("console", (message) => message.type() === "error" && problems.push(`console: ${message.text()}`));
  page.on("response", (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`));
  // Requests cancelled by leaving a page (ERR_ABORTED) are not failures.
  page.on("requestfailed", (request) => {
    const reason = request.failure()?.errorText;
    if (reason !== "net::ERR_ABORTED") problems.push(`failed ${request.url()}: ${reason}`);
  });
  await logIn(page, users.northUser);
  await page.getByRole("list", { name: "Patients" }).waitFor();
});
after(async () => browser?.close());

test("studies without an image show a 'no preview' icon and log nothing; a thumbnail enlarges", async () => {
  await page.goto("/studies");
  await page.locator("tbody tr").first().waitFor();
  await page.locator(".thumb-loading").first().waitFor({ state: "detached" });
  const table = page.getByRole("table", { name: "Studies" });
  assert.ok((await table.getByRole("img", { name: "No preview" }).count()) >= 1);
  const enlarge = table.getByRole("button", { name: /^Enlarge preview of/ });
  assert.ok((await enlarge.count()) >= 1);
  assert.deepEqual(problems, []);

  // The CT slice (512 px): the dialog shows it larger than the 128 px thumbnail.
  const row = page.locator("tbody tr").filter({ hasText: "JXD191021006" });
  const button = row.getByRole("button", { name: /^Enlarge preview of/ });
  await button.click();
  const dialog = page.getByRole("dialog", { name: "Preview" });
  const image = dialog.getByRole("img", { name: /^First image of/ });
  await image.waitFor();
  const side = await image.evaluate(async (img) => {
    await img.decode();
    return Math.max(img.naturalWidth, img.naturalHeight);
  });
  const thumbnailSide = await row.locator("img.thumb").evaluate((img) => Math.max(img.naturalWidth, img.naturalHeight));
  assert.ok(side > 128 && side <= 512 && thumbnailSide <= 128, `preview ${side} px, thumbnail ${thumbnailSide} px`);
  await screenshot(page, "20-preview");
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await button.evaluate((element) => element === document.activeElement), true);
  assert.deepEqual(problems, []);
});

test("study times read HH:MM", async () => {
  await page.goto("/studies");
  await page.locator(".thumb-loading").first().waitFor({ state: "detached" });
  const times = await page.locator('tbody td[data-label="Time"]').allInnerTexts();
  assert.ok(times.some((time) => time !== "—"));
  for (const time of times) assert.match(time, /^(\d{2}:\d{2}|—)$/);
});

test("Patient Details leaves out what is unknown instead of showing '—'", async () => {
  await page.goto("/patients");
  // Doe^Archibald has neither a birth date nor a sex; one of his studies has no modality.
  await page.getByRole("button", { name: /^Open details of Doe, Archibald/ }).click();
  const dialog = page.getByRole("dialog", { name: "Patient Details" });
  await dialog.getByRole("list", { name: "Studies" }).waitFor();
  await screenshot(page, "20-patient-details-unknowns");
  const subtitle = await dialog.locator(".dialog-subtitle").innerText();
  assert.equal(subtitle, "Doe, Archibald · ID 77654033 · 2 studies");
  for (const line of await dialog.locator(".study-card-text p.small:not(.uid)").allInnerTexts()) {
    assert.doesNotMatch(line, /—/);
    assert.doesNotMatch(line, /^ ·|· ·/);
  }
  await page.keyboard.press("Escape");
  assert.deepEqual(problems, []);
});
