// Error states: the server unreachable, and an export refused (503, 404, 403) shown in
// the Export dialog. The failures are injected into the browser's requests; the
// recovery goes to the real server.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { users } from "../lib/api.mjs";
import { exportDialog, launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";

let browser;
let page;
before(async () => {
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
  await page.getByRole("list", { name: "Patients" }).waitFor();
});
after(async () => browser?.close());

test("a server that cannot be reached is said so, and Retry recovers", async () => {
  await page.route("**/api/studies?**", (route) => route.abort("connectionrefused"));
  await page.getByRole("link", { name: "Studies" }).click();
  const alert = page.getByRole("alert").filter({ hasText: "The pacsport server cannot be reached" });
  await alert.waitFor();
  await screenshot(page, "06-server-down");
  await page.unroute("**/api/studies?**");
  await alert.getByRole("button", { name: "Retry" }).click();
  await page.getByRole("table", { name: "Studies" }).waitFor();
  assert.equal(await alert.count(), 0);
  await page.getByRole("link", { name: "Patients" }).click();
});

for (const [status, code, message, shown] of [
  [503, "unavailable", "too many exports are running", "The server is busy or a source is unavailable"],
  [404, "not_found", "no such patient", "Not found: no such patient."],
  [403, "forbidden", "admins only", "You are not allowed to do this"],
]) {
  test(`an export refused with ${status} is shown in the Export dialog`, async () => {
    await page.route("**/api/export/link/**", (route) =>
      route.fulfill({ status, contentType: "application/json", body: JSON.stringify({ error: { code, message } }) }),
    );
    await page.locator(".patient-card").first().getByRole("button", { name: /^Export Data/ }).click();
    const dialog = await exportDialog(page);
    await dialog.getByRole("button", { name: "Export Data", exact: true }).click();
    await dialog.getByRole("alert").filter({ hasText: shown }).waitFor();
    if (status === 503) await screenshot(page, "06-export-refused-503");
    await page.unroute("**/api/export/link/**");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });
}

test("an estimate that fails is shown with Retry", async () => {
  let fail = true;
  await page.route("**/api/export/estimate/**", (route) =>
    fail
      ? route.fulfill({ status: 503, contentType: "application/json", body: '{"error":{"code":"unavailable","message":"source pacs-a is not reachable"}}' })
      : route.continue(),
  );
  await page.locator(".patient-card").first().getByRole("button", { name: /^Export Data/ }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  const alert = dialog.getByRole("alert").filter({ hasText: "source pacs-a is not reachable" });
  await alert.waitFor();
  fail = false;
  await alert.getByRole("button", { name: "Retry" }).click();
  await eventually(async () => assert.ok(Number(await dialog.locator('dd[data-key="studies"]').getAttribute("data-value")) >= 1));
  await page.unroute("**/api/export/estimate/**");
  await page.keyboard.press("Escape");
});
