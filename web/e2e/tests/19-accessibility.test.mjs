// Issue 15 item 9 and its screenshots: axe-core finds no serious or critical violation on
// any page (login, patients, studies, jobs, audit, destinations, schedules) or dialog
// (patient details, export, preview, audit record, destination, schedule, confirm), in
// both themes, at a desktop's and a phone's size; every one is saved as a screenshot.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiJson, apiToken, users } from "../lib/api.mjs";
import { seriousViolations } from "../lib/a11y.mjs";
import { exportDialog, launch, logIn, openApp, screenshot, sizes } from "../lib/browser.mjs";
import { createJob, finishedJob } from "../lib/jobs.mjs";

let browser;
before(async () => {
  browser = await launch();
  // Something on every page: a finished job (and so an audit record) and a schedule.
  const admin = await apiToken(users.northAdmin);
  const study = (await apiJson(admin, "/api/studies?limit=1")).studies[0];
  await finishedJob(admin, (await createJob(admin, { scope: "study", ids: [study.studyInstanceUID], includeImages: false, format: "json" })).id);
  await apiJson(admin, "/api/schedules", {
    method: "POST",
    body: { name: "Nightly metadata", cron: "0 2 * * *", timeZone: "UTC", scope: "all", ids: [], options: { includeImages: false, format: "json" } },
  });
});
after(async () => browser?.close());

for (const size of ["wide", "phone"]) {
  test(`every page and dialog has no serious accessibility violation in either theme (${size})`, async () => {
    const page = await openApp(browser, { viewport: sizes[size] });
    const found = [];
    // Each page and dialog in the system's light and dark scheme (the theme follows it).
    const check = async (what) => {
      for (const scheme of ["light", "dark"]) {
        await page.emulateMedia({ colorScheme: scheme });
        await screenshot(page, `19-${size}-${scheme}-${what}`);
        for (const violation of await seriousViolations(page)) found.push({ what, scheme, ...violation });
      }
    };
    const closeDialog = async (name) => {
      await page.keyboard.press("Escape");
      await page.getByRole("dialog", { name }).waitFor({ state: "detached" });
    };

    await page.getByRole("heading", { name: "Log in" }).waitFor();
    await check("login");
    await logIn(page, users.northAdmin);

    await page.getByRole("list", { name: "Patients" }).waitFor();
    await check("patients");
    await page.getByRole("button", { name: /^Open details of/ }).first().click();
    const details = page.getByRole("dialog", { name: "Patient Details" });
    await details.getByRole("list", { name: "Studies" }).waitFor();
    await details.locator(".thumb-loading").first().waitFor({ state: "detached" });
    await check("patient-details");
    await details.getByRole("button", { name: /^Download study/ }).first().click();
    await exportDialog(page);
    await check("export");
    await closeDialog("Export");
    await closeDialog("Patient Details");

    await page.goto("/studies");
    await page.locator("tbody tr").first().waitFor();
    await page.locator(".thumb-loading").first().waitFor({ state: "detached" });
    await check("studies");
    await page.getByRole("button", { name: /^Enlarge preview of/ }).first().click();
    await page.getByRole("dialog", { name: "Preview" }).getByRole("img").waitFor();
    await check("preview");
    await closeDialog("Preview");

    await page.goto("/jobs");
    await page.getByRole("list", { name: "Export jobs" }).waitFor();
    await check("jobs");

    await page.goto("/audit");
    await page.locator(".audit-row").first().waitFor();
    await check("audit");
    await page.locator(".audit-row").first().getByRole("button").click();
    const record = page.getByRole("dialog", { name: /^Audit record/ });
    await record.waitFor();
    await check("audit-record");
    await page.keyboard.press("Escape");
    await record.waitFor({ state: "detached" });

    await page.goto("/destinations");
    await page.getByRole("heading", { name: "Destinations", level: 1 }).waitFor();
    await check("destinations");
    await page.getByRole("button", { name: "New destination" }).click();
    await page.getByRole("dialog", { name: "New destination" }).waitFor();
    await check("destination");
    await closeDialog("New destination");

    await page.goto("/schedules");
    await page.getByRole("list", { name: "Schedules" }).waitFor();
    await check("schedules");
    await page.getByRole("button", { name: "New schedule" }).click();
    await page.getByRole("dialog", { name: "New schedule" }).waitFor();
    await check("schedule");
    await closeDialog("New schedule");
    await page.getByRole("button", { name: "Delete Nightly metadata" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete schedule Nightly metadata?" });
    await confirm.waitFor();
    await check("confirm");
    await confirm.getByRole("button", { name: "Cancel" }).click();

    await page.context().close();
    assert.deepEqual(found, [], `serious accessibility violations:\n${JSON.stringify(found, null, 2)}`);
  });
}
