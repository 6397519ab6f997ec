// The Export dialog's two ways: a small export keeps the direct download link; an
// export the estimate says is large (asJob) becomes "Start export job", which creates the
// job and shows it on the Jobs page. For the second, this file starts a server of its
// own whose threshold (export.job_threshold_mb = 0) makes every export a job.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { apiJson, apiToken, baseUrl, studyWithImages, users } from "../lib/api.mjs";
import { exportDialog, launch, logIn, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { fileSha256, finishedJob } from "../lib/jobs.mjs";
import { startPacsport } from "../lib/server.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let jobServer;

before(async () => {
  browser = await launch();
  jobServer = await startPacsport({ bin: process.env.PACSPORT_BIN, linkSeconds: 4, config: "[export]\njob_threshold_mb = 0\n" });
});
after(async () => {
  await browser?.close();
  await jobServer?.stop();
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

test("a small export keeps the direct download link (asJob false)", async () => {
  const token = await apiToken(users.northUser);
  const study = await studyWithImages(token);
  const estimate = await apiJson(token, `/api/export/estimate/study/${study.studyInstanceUID}?includeImages=true&format=zip`);
  assert.equal(estimate.asJob, false);
  const page = await openAt(baseUrl(), users.northUser);
  const dialog = await openStudyExport(page, study);
  await dialog.getByRole("button", { name: "Export Data", exact: true }).waitFor();
  assert.equal(await dialog.getByRole("button", { name: "Start export job" }).count(), 0);
  // The estimate's DICOM/preview split shows when the server gives it, as estimates.
  for (const key of ["estimatedDicomBytes", "estimatedPreviewBytes"]) {
    const shown = dialog.locator(`dd[data-key="${key}"]`);
    if (estimate[key] === undefined) assert.equal(await shown.count(), 0);
    else {
      assert.equal(Number(await shown.getAttribute("data-value")), estimate[key]);
      assert.match(await shown.innerText(), /^≈ /);
    }
  }
  await page.context().close();
});

test("an export the estimate says is large starts a job and goes to the Jobs page", async () => {
  const previous = process.env.PACSPORT_URL;
  process.env.PACSPORT_URL = jobServer.url; // the API helpers talk to this file's server
  try {
    const token = await apiToken(users.northUser);
    const study = await studyWithImages(token);
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
  } finally {
    process.env.PACSPORT_URL = previous;
  }
});
