// The Export dialog's two ways, and jobs seen while they run. A small export keeps the
// direct download link; an export the estimate says is large (asJob) becomes "Start
// export job", which creates the job and shows it on the Jobs page. For that, this file
// starts a server of its own whose threshold (export.job_threshold_mb = 0) makes every
// export a job, holding besides the demo data a patient of synthetic CT slices whose
// export takes a few seconds: the Jobs page shows it running (progress between 0 and
// 100 %, the time left), and Cancel stops a queued and a running job.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { apiJson, apiToken, baseUrl, studyWithImages, users } from "../lib/api.mjs";
import { exportDialog, launch, logIn, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { createJob, fileSha256, finishedJob, job } from "../lib/jobs.mjs";
import { startPacsport } from "../lib/server.mjs";
import { syntheticCt } from "../lib/synthetic.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

// Enough 512x512 slices for an export with previews to run some seconds.
const slowPatient = "E2E-SLOW-CT";
const slowSlices = 300;

let browser;
let jobServer;
let ct;

before(async () => {
  browser = await launch();
  ct = syntheticCt(slowPatient, slowSlices);
  jobServer = await startPacsport({
    bin: process.env.PACSPORT_BIN,
    linkSeconds: 4,
    config: "[export]\njob_threshold_mb = 0\n",
    imports: [{ hospital: "Northside General", files: ct.files }],
  });
});
after(async () => {
  await browser?.close();
  await jobServer?.stop();
  if (ct) rmSync(ct.dir, { recursive: true, force: true });
});

async function openAt(url, user) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, baseURL: url });
  const page = await context.newPage();
  await page.goto("/");
  await logIn(page, user);
  return page;
}

async function openStudyExport(page, study) {
  await page.getByRole("link", { name: "Studies" }).click();
  await page.getByRole("searchbox", { name: /Search studies/ }).fill(study.patientID);
  const row = page.locator(`tbody tr[data-uid="${study.studyInstanceUID}"]`);
  await row.getByRole("button", { name: /^Download study / }).click();
  return exportDialog(page);
}

/** Runs `body` with the API helpers (lib/api.mjs) talking to this file's server. */
async function onJobServer(body) {
  const previous = process.env.PACSPORT_URL;
  process.env.PACSPORT_URL = jobServer.url;
  try {
    return await body();
  } finally {
    process.env.PACSPORT_URL = previous;
  }
}

test("a small export keeps the direct download link (asJob false)", async () => {
  const token = await apiToken(users.northUser);
  const study = await studyWithImages(token);
  const estimate = await apiJson(token, `/api/export/estimate/study/${study.studyInstanceUID}?includeImages=true&format=zip`);
  assert.equal(estimate.asJob, false);
  const page = await openAt(baseUrl(), users.northUser);
  const dialog = await openStudyExport(page, study);
  await dialog.getByRole("button", { name: "Export Data", exact: true }).waitFor();
  assert.equal(await dialog.getByRole("button", { name: "Start export job" }).count(), 0);
  // The estimate's DICOM/preview split shows when the server gives it, as parts of the download.
  for (const [key, name] of [["estimatedDicomBytes", "DICOM"], ["estimatedPreviewBytes", "previews"]]) {
    const shown = dialog.locator(`dd[data-key="estimatedBytes"] [data-key="${key}"]`);
    if (!estimate[key]) assert.equal(await shown.count(), 0);
    else {
      assert.equal(Number(await shown.getAttribute("data-value")), estimate[key]);
      assert.match(await shown.innerText(), new RegExp(`^${name} `));
    }
  }
  await page.context().close();
});

test("an export the estimate says is large starts a job and goes to the Jobs page", async () => {
  // A study of the demo data (both servers hold it), not the slow patient's.
  const study = await studyWithImages(await apiToken(users.northUser));
  await onJobServer(async () => {
    const token = await apiToken(users.northUser);
    const estimate = await apiJson(token, `/api/export/estimate/study/${study.studyInstanceUID}?includeImages=true&format=zip`);
    assert.equal(estimate.asJob, true, "job_threshold_mb = 0 recommends a job for every export");

    const page = await openAt(jobServer.url, users.northUser);
    const dialog = await openStudyExport(page, study);
    const start = dialog.getByRole("button", { name: "Start export job" });
    await start.waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Export Data", exact: true }).count(), 0);
    await dialog.getByText("The server runs an export of this size as an export job.").waitFor();
    await screenshot(page, "08-export-dialog-as-job");
    await start.click();

    await page.waitForURL("**/jobs");
    await dialog.waitFor({ state: "detached" });
    const { jobs } = await apiJson(token, "/api/export/jobs?limit=1");
    const created = jobs[0];
    assert.equal(created.scope, "study");
    assert.deepEqual(created.ids, [study.studyInstanceUID]);
    const card = page.locator(`article[data-job-id="${created.id}"]`);
    await eventually(async () => assert.equal(await card.getByRole("progressbar").getAttribute("aria-valuenow"), "100"), { timeout: 60_000 });
    await card.getByRole("status").getByText("Done").waitFor();
    const done = await finishedJob(token, created.id);
    await screenshot(page, "08-jobs-study-done");

    const [download] = await Promise.all([page.waitForEvent("download"), card.getByRole("button", { name: /^Download/ }).click()]);
    assert.equal(await download.failure(), null);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "pacsport-job-")), download.suggestedFilename());
    await download.saveAs(file);
    assert.equal(download.suggestedFilename(), done.archiveName);
    assert.equal(fileSha256(file), done.archive.sha256);
    const metadata = JSON.parse(zipText(file, "study_data.json"));
    assert.deepEqual(zipEntries(file), expectedEntries(metadata, "study_data.json"));
    assert.equal(zipEntries(file).filter((e) => /^dicom\/\d+\.dcm$/.test(e)).length, study.numberOfInstances);
    await page.context().close();
  });
});

test("the Jobs page shows jobs running and queued; Cancel stops a queued and a running job", () =>
  onJobServer(async () => {
    const token = await apiToken(users.northUser);
    const page = await openAt(jobServer.url, users.northUser);
    await page.getByRole("link", { name: "Jobs" }).click();
    await page.getByRole("heading", { name: "Export jobs", level: 1 }).waitFor();

    // Three exports of the slow patient: one user runs one job at a time (the default
    // limit), so the first runs and the others wait.
    const slow = { scope: "patient", ids: [slowPatient], compression: 9 };
    const first = await createJob(token, slow);
    const second = await createJob(token, slow);
    const third = await createJob(token, slow);
    await page.getByRole("button", { name: "Refresh" }).click();
    const card = (j) => page.locator(`article[data-job-id="${j.id}"]`);
    await card(third).waitFor();

    // The third is queued: Cancel.
    assert.equal((await job(token, third.id)).state, "queued");
    await card(third).getByRole("status").getByText("Queued").waitFor();
    await card(third).getByRole("button", { name: /^Cancel/ }).click();
    await card(third).getByRole("status").getByText("Cancelled").waitFor();
    assert.equal(await card(third).getByRole("button", { name: /^Cancel/ }).count(), 0);
    assert.equal((await job(token, third.id)).state, "cancelled");
    // The focus stays on the job whose button went away.
    assert.equal(await card(third).evaluate((el) => el === document.activeElement), true);

    // The first is running: Cancel.
    await card(first).getByRole("status").getByText("Running").waitFor();
    assert.equal((await job(token, first.id)).state, "running");
    await screenshot(page, "08-jobs-running-queued");
    await card(first).getByRole("button", { name: /^Cancel/ }).click();
    await card(first).getByRole("status").getByText("Cancelled").waitFor();
    assert.equal((await job(token, first.id)).state, "cancelled");

    // The second now runs: its bar moves through values between 0 and 100 with the
    // time left, and ends at 100 % and done.
    const bar = card(second).getByRole("progressbar");
    await bar.evaluate((el) => {
      window.__progress = [el.getAttribute("aria-valuenow")];
      new MutationObserver(() => window.__progress.push(el.getAttribute("aria-valuenow"))).observe(el, { attributes: true });
    });
    await card(second).getByRole("status").getByText("Running").waitFor();
    await card(second).locator(".job-eta").waitFor();
    await card(second).getByRole("status").getByText("Done").waitFor({ timeout: 120_000 });
    const values = (await page.evaluate(() => window.__progress)).map(Number);
    assert.equal(values.at(-1), 100);
    assert.ok(values.some((v) => v > 0 && v < 100), `a value between 0 and 100 was shown: ${values}`);
    assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `progress never goes back: ${values}`);
    const done = await finishedJob(token, second.id);
    assert.equal(done.progress.instancesDone, slowSlices);
    await screenshot(page, "08-jobs-after-cancel");
    await page.context().close();
  }));
