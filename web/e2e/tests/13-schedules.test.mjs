// The Schedules page (admins), against the real server: a schedule created through the
// form (the cron presets and a custom expression described in words, the browser's time
// zone by default, chosen studies), a bad cron expression refused next to its field, the
// next run as the server plans it, "Run now" making a run that the history lists with
// its job's state and a link to the Jobs page, Edit, and Delete after confirmation.
// A user gets 403 from the schedules API.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { api, apiJson, apiToken, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { finishedJob } from "../lib/jobs.mjs";

let browser;
let page;
let admin;
const name = `E2E nightly ${randomBytes(3).toString("hex")}`;
let study;

before(async () => {
  admin = await apiToken(users.northAdmin);
  study = (await apiJson(admin, "/api/studies?limit=1")).studies[0];
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northAdmin);
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Schedules" }).click();
  await page.getByRole("heading", { name: "Schedules", level: 1 }).waitFor();
});
after(async () => browser?.close());

const card = () => page.getByRole("list", { name: "Schedules" }).getByRole("article", { name, exact: true });
const scheduleNamed = async () => (await apiJson(admin, "/api/schedules")).items.find((s) => s.name === name);

test("an admin creates a schedule; the form describes its times in words", async () => {
  await page.getByRole("button", { name: "New schedule" }).click();
  const dialog = page.getByRole("dialog", { name: "New schedule" });
  const preview = dialog.locator(".cron-preview");
  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.equal(await dialog.getByLabel("Time zone").inputValue(), zone);
  assert.equal(await dialog.getByLabel("Cron expression").inputValue(), "0 2 * * *");
  assert.equal(await preview.innerText(), `Every day at 02:00, ${zone} time.`);
  await dialog.getByLabel("Runs").selectOption("weekly");
  assert.equal(await dialog.getByLabel("Cron expression").inputValue(), "0 3 * * 0");
  assert.equal(await preview.innerText(), `Every Sunday at 03:00, ${zone} time.`);
  await dialog.getByLabel("Runs").selectOption("custom");
  await dialog.getByLabel(/^Name/).fill(name);
  await dialog.getByRole("radio", { name: "Chosen studies" }).check();
  await dialog.getByLabel(/^Study Instance UIDs/).fill(study.studyInstanceUID);
  await dialog.getByRole("radio", { name: "JSON only" }).check();

  // A bad expression: the server's 400 shows at the cron field.
  await dialog.getByLabel("Cron expression").fill("61 2 * * *");
  await dialog.getByRole("button", { name: "Create schedule" }).click();
  await eventually(async () => assert.equal(await dialog.getByLabel("Cron expression").getAttribute("aria-invalid"), "true"));
  await screenshot(page, "13-schedule-cron-error");

  await dialog.getByLabel("Cron expression").fill("30 4 1 * *");
  await dialog.getByLabel("Time zone").fill("Europe/Berlin");
  assert.equal(await preview.innerText(), "On the 1st of every month at 04:30, Europe/Berlin time.");
  await screenshot(page, "13-schedule-new");
  await dialog.getByRole("button", { name: "Create schedule" }).click();
  await dialog.waitFor({ state: "detached" });

  const created = await scheduleNamed();
  assert.ok(created, "the schedule exists");
  assert.equal(created.cron, "30 4 1 * *");
  assert.equal(created.timeZone, "Europe/Berlin");
  assert.equal(created.scope, "studies");
  assert.deepEqual(created.ids, [study.studyInstanceUID]);
  assert.equal(created.options.format, "json");
  assert.equal(created.options.includeImages, false, "a JSON-only schedule asks for no images");
  assert.equal(created.destination, null);
  assert.equal(created.enabled, true);
  assert.equal(created.owner, users.northAdmin.username);
  const shown = card();
  await shown.waitFor();
  assert.equal(await shown.locator('[data-key="nextRunAt"] time').getAttribute("datetime"), created.nextRunAt);
  assert.equal(await shown.locator('[data-key="lastRunAt"]').innerText(), "never");
  assert.match(await shown.locator(".schedule-when").innerText(), /^On the 1st of every month at 04:30 · 30 4 1 \* \* · Europe\/Berlin$/);
});

test("Run now makes a run that the history lists, linked to the Jobs page", async () => {
  const shown = card();
  await shown.getByRole("button", { name: `Run now: ${name}` }).click();
  const started = shown.locator(".job-actions a.job-link");
  await started.waitFor();
  const jobId = await started.getAttribute("data-job-id");
  const job = await finishedJob(admin, jobId);
  assert.equal(job.state, "done", `the run ended ${job.state}: ${job.error}`);
  const schedule = await scheduleNamed();
  assert.equal(schedule.lastJob, jobId);

  await shown.getByRole("button", { name: `Run history of ${name}` }).click();
  const history = shown.getByRole("region", { name: `Runs of ${name}` });
  const run = history.locator(`li[data-job-id="${jobId}"]`);
  await eventually(
    async () => {
      await history.getByRole("button", { name: "Refresh history" }).click();
      assert.equal(await run.getAttribute("data-state"), "done");
    },
    { timeout: 15_000, interval: 500 },
  );
  assert.equal(await run.locator(".job-state").innerText(), "Done");
  const runs = await apiJson(admin, `/api/schedules/${schedule.id}/runs`);
  assert.deepEqual(await history.locator("li").evaluateAll((lis) => lis.map((li) => li.dataset.jobId)), runs.items.map((j) => j.id));
  await page.getByRole("button", { name: "Refresh" }).first().click();
  await eventually(async () => assert.equal(await shown.locator('[data-key="lastOutcome"]').innerText(), "Done"));
  assert.equal(await shown.locator('[data-key="lastRunAt"] time').getAttribute("datetime"), (await scheduleNamed()).lastRunAt);
  await screenshot(page, "13-schedules");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "13-schedules-phone");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page fits the phone's width (${width} px)`);
  await page.setViewportSize({ width: 1280, height: 800 });

  await run.getByRole("link", { name: `Job ${jobId}` }).click();
  await page.waitForURL("**/jobs");
  const jobCard = page.locator(`article[data-job-id="${jobId}"]`);
  await jobCard.waitFor();
  await eventually(async () => assert.equal(await jobCard.evaluate((el) => el === document.activeElement), true));
  await page.goBack();
  await page.getByRole("heading", { name: "Schedules", level: 1 }).waitFor();
});

test("Edit changes a schedule, Delete asks first; a user gets 403", async () => {
  const { id } = await scheduleNamed();
  await card().getByRole("button", { name: `Edit ${name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Edit schedule ${name}` });
  assert.equal(await dialog.getByLabel("Runs").inputValue(), "custom");
  assert.equal(await dialog.getByLabel(/^Study Instance UIDs/).inputValue(), study.studyInstanceUID);
  await dialog.getByRole("checkbox", { name: "Enabled" }).uncheck();
  await dialog.getByRole("button", { name: "Save" }).click();
  await dialog.waitFor({ state: "detached" });
  assert.equal((await apiJson(admin, `/api/schedules/${id}`)).enabled, false);
  await card().getByText("Disabled", { exact: true }).waitFor();

  const user = await apiToken(users.northUser);
  assert.equal((await api(user, "/api/schedules")).status, 403);
  assert.equal((await api(user, `/api/schedules/${id}/run`, { method: "POST" })).status, 403);
  assert.equal((await api(user, `/api/schedules/${id}`, { method: "DELETE" })).status, 403);

  await card().getByRole("button", { name: `Delete ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete schedule ${name}?` });
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await card().waitFor({ state: "detached" });
  assert.equal((await api(admin, `/api/schedules/${id}`)).status, 404);
});
