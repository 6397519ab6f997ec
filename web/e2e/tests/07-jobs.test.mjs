// Export jobs in the UI, against the real server: selecting patients and studies and
// exporting them as one batch job, the Jobs page following a job's event stream to 100 %
// and done, Download of the archive (and a download resumed with Range, byte-identical
// to the job's SHA-256), Delete, a failed job's error, and the page at phone width.
// Cancel and a job seen running are in 08-export-as-job (a server with a slow job).
import assert from "node:assert/strict";
import path from "node:path";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, test } from "node:test";
import { api, apiJson, apiToken, baseUrl, users } from "../lib/api.mjs";
import { launch, logIn, openApp, openMenu, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { createJob, fileSha256, finishedJob } from "../lib/jobs.mjs";
import { zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let page;
let token;

before(async () => {
  token = await apiToken(users.northUser);
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

const jobCard = (id) => page.locator(`article[data-job-id="${id}"]`);

async function goToJobs() {
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Jobs" }).click();
  await page.getByRole("heading", { name: "Export jobs", level: 1 }).waitFor();
}

async function estimateSum(scope, ids) {
  let estimatedBytes = 0;
  let instances = 0;
  for (const id of ids) {
    const e = await apiJson(token, `/api/export/estimate/${scope}/${encodeURIComponent(id)}?includeImages=true&format=zip`);
    estimatedBytes += e.estimatedBytes;
    instances += e.instances;
  }
  return { estimatedBytes, instances };
}

/** Saves the download that clicking `button` starts; returns its path and name. */
async function download(button) {
  const [started] = await Promise.all([page.waitForEvent("download"), button.click()]);
  const failure = await started.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "pacsport-job-")), started.suggestedFilename());
  await started.saveAs(file);
  return { file, name: started.suggestedFilename() };
}

/** The newest job of the user, once the UI has created it after `since` (its id list). */
async function newestJob(before) {
  return eventually(async () => {
    const { jobs } = await apiJson(token, "/api/export/jobs?limit=5");
    assert.ok(jobs.length > 0 && !before.includes(jobs[0].id), "a new job exists");
    return jobs[0];
  });
}

async function jobIds() {
  return (await apiJson(token, "/api/export/jobs?limit=100")).jobs.map((j) => j.id);
}

let batchJob;

test("patients selected on the page are exported together as one batch job", async () => {
  const pageCards = page.getByRole("list", { name: "Patients" }).getByRole("article");
  await eventually(async () => assert.ok((await pageCards.count()) > 3));
  const selectPage = page.getByRole("checkbox", { name: "Select all on this page" });
  const bar = page.getByRole("region", { name: "Selection" });

  // Select all on this page, then none again.
  await selectPage.check();
  const shown = await pageCards.count();
  await bar.getByText(`${shown} patients selected`).waitFor();
  await screenshot(page, "07-patients-selected-page");
  await selectPage.uncheck();
  await bar.waitFor({ state: "detached" });

  // Two patients with studies, one by the mouse and one by the keyboard (Space).
  const { patients } = await apiJson(token, "/api/patients?limit=24");
  const chosen = patients.filter((p) => p.patientID && p.studyCount > 0).slice(0, 2);
  assert.equal(chosen.length, 2);
  const boxOf = (p) => pageCards.filter({ has: page.getByText(p.patientID, { exact: true }) }).getByRole("checkbox");
  await boxOf(chosen[0]).check();
  await boxOf(chosen[1]).focus();
  await page.keyboard.press("Space");
  await bar.getByText("2 patients selected").waitFor();
  assert.equal(await selectPage.evaluate((box) => box.indeterminate), true, "the page checkbox is mixed");
  await screenshot(page, "07-patients-selected");

  const before = await jobIds();
  await bar.getByRole("button", { name: "Export selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  await dialog.getByText("2 selected patients").waitFor();
  // The estimate of a selection is the sum of its members' estimates.
  const expected = await estimateSum("patient", chosen.map((p) => p.patientID));
  await eventually(async () =>
    assert.equal(Number(await dialog.locator('dd[data-key="estimatedBytes"]').getAttribute("data-value")), expected.estimatedBytes),
  );
  assert.equal(Number(await dialog.locator('dd[data-key="instances"]').getAttribute("data-value")), expected.instances);
  await screenshot(page, "07-export-dialog-batch");
  await dialog.getByRole("button", { name: "Start export job" }).click();

  // The Jobs page, with the new job focused.
  await page.waitForURL("**/jobs");
  const created = await newestJob(before);
  assert.equal(created.scope, "patients");
  assert.deepEqual([...created.ids].sort(), chosen.map((p) => p.patientID).sort());
  assert.equal(created.username, users.northUser.username);
  const card = jobCard(created.id);
  await card.waitFor();
  await eventually(async () => assert.equal(await card.evaluate((el) => el === document.activeElement), true));
  assert.equal(await card.getByRole("heading").innerText(), "2 patients");

  // It runs to 100 % and done.
  await eventually(async () => assert.equal(await card.getByRole("progressbar").getAttribute("aria-valuenow"), "100"), { timeout: 60_000 });
  await card.getByRole("status").getByText("Done").waitFor();
  batchJob = await finishedJob(token, created.id);
  assert.equal(batchJob.state, "done");
  await screenshot(page, "07-jobs-batch-done");

  // Its archive: one batch layout holding both patients.
  const { file, name } = await download(card.getByRole("button", { name: /^Download/ }));
  assert.match(name, /^batch_export_.*\.zip$/);
  assert.equal(fileSha256(file), batchJob.archive.sha256);
  const entries = zipEntries(file);
  assert.ok(entries.includes("batch_data.json") && entries.includes("checksums.sha256"));
  for (const p of chosen) {
    assert.ok(entries.some((e) => e.startsWith(`patients/${p.patientID}/studies/`)), `the archive holds ${p.patientID}`);
  }
  const metadata = JSON.parse(zipText(file, "batch_data.json"));
  assert.deepEqual(metadata.patients.map((p) => p.patientID).sort(), chosen.map((p) => p.patientID).sort());
  await card.getByText("Your download has started.").waitFor();
});

test("studies selected in the table are exported as one batch job", async () => {
  await page.getByRole("link", { name: "Studies" }).click();
  const table = page.getByRole("table", { name: "Studies" });
  const rows = table.locator("tbody tr");
  await eventually(async () => assert.ok((await rows.count()) > 2));
  const selectPage = table.getByRole("checkbox", { name: "Select all studies on this page" });
  const bar = page.getByRole("region", { name: "Selection" });
  await selectPage.check();
  await bar.getByText(`${await rows.count()} studies selected`).waitFor();
  await bar.getByRole("button", { name: "Clear selection" }).click();
  await bar.waitFor({ state: "detached" });
  assert.equal(await selectPage.isChecked(), false);

  const uids = await rows.evaluateAll((trs) => trs.slice(0, 2).map((tr) => tr.dataset.uid));
  for (const uid of uids) await table.locator(`tr[data-uid="${uid}"]`).getByRole("checkbox").check();
  await bar.getByText("2 studies selected").waitFor();
  // The selection survives paging.
  const pager = page.getByRole("navigation", { name: "Studies pages" });
  if (await pager.getByRole("button", { name: "Next page" }).isEnabled()) {
    await pager.getByRole("button", { name: "Next page" }).click();
    await pager.getByText(/^26–/).waitFor();
    await bar.getByText("2 studies selected").waitFor();
    await pager.getByRole("button", { name: "First page" }).click();
  }
  const before = await jobIds();
  await bar.getByRole("button", { name: "Export selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  await dialog.getByRole("radio", { name: "JSON only" }).check();
  await dialog.getByRole("button", { name: "Start export job" }).click();
  await page.waitForURL("**/jobs");
  const created = await newestJob(before);
  assert.equal(created.scope, "studies");
  assert.deepEqual([...created.ids].sort(), [...uids].sort());
  assert.equal(created.format, "json");
  const card = jobCard(created.id);
  await card.getByRole("status").getByText("Done").waitFor({ timeout: 60_000 });
  assert.equal(await card.getByRole("heading").innerText(), "2 studies");
});

test("the Jobs page follows a job through its event stream to 100 % and done", async () => {
  // A job the list shows as just queued (the list's answer is rewritten for this page
  // load): from there only the job's event stream can bring the card to done.
  const { patients } = await apiJson(token, "/api/patients?limit=24");
  const patient = patients.find((p) => p.patientID && p.studyCount > 0);
  const created = await createJob(token, { scope: "patient", ids: [patient.patientID] });
  assert.equal(created.url, `/api/export/jobs/${created.id}`);
  assert.ok(["queued", "running", "done"].includes(created.state));
  await page.route("**/api/export/jobs?**", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const j of body.jobs) {
      if (j.id !== created.id) continue;
      Object.assign(j, { state: "queued", startedAt: null, finishedAt: null, archive: null });
      j.progress = { ...j.progress, instancesDone: 0, bytesDone: 0 };
    }
    await route.fulfill({ response, json: body });
  });
  const events = page.waitForRequest((r) => r.url().endsWith(`/api/export/jobs/${created.id}/events`));
  await goToJobs();
  await page.getByRole("button", { name: "Refresh" }).click();
  const card = jobCard(created.id);
  await card.waitFor();
  // Every value the progress bar takes, from its first render on.
  await card.getByRole("progressbar").evaluate((bar) => {
    window.__progress = [bar.getAttribute("aria-valuenow")];
    new MutationObserver(() => window.__progress.push(bar.getAttribute("aria-valuenow"))).observe(bar, { attributes: true });
  });
  const request = await events;
  assert.equal(request.headers().authorization, `Bearer ${await page.evaluate(() => JSON.parse(sessionStorage.getItem("pacsport.session")).token)}`);
  assert.match(request.headers().accept, /text\/event-stream/);
  await card.getByRole("status").getByText("Done").waitFor({ timeout: 60_000 });
  assert.equal(await card.getByRole("progressbar").getAttribute("aria-valuenow"), "100");
  const values = (await page.evaluate(() => window.__progress)).map(Number);
  assert.equal(values.at(-1), 100);
  assert.ok(values.every((v, i) => i === 0 || v >= values[i - 1]), `progress never goes back: ${values}`);
  const done = await finishedJob(token, created.id);
  const figures = card.locator('[data-key="bytes"]');
  assert.equal(Number(await figures.getAttribute("data-done")), done.progress.bytesDone);
  await card.getByRole("button", { name: /^Download/ }).waitFor();
  await page.unroute("**/api/export/jobs?**");
});

test("a finished job's archive downloads through a single-use link, and a cut download resumes with Range", async () => {
  assert.ok(batchJob, "the batch job of the first test is done");
  const link = await apiJson(token, `/api/export/jobs/${batchJob.id}/link`, { method: "POST" });
  assert.match(link.url, /^\/api\/downloads\/[A-Za-z0-9_-]{20,}$/);
  const size = batchJob.archive.size;
  const half = Math.floor(size / 2);
  // In the browser, without the JWT: the first half, then the rest from where it stopped.
  const result = await page.evaluate(async ({ url, half }) => {
    const first = await fetch(url, { headers: { Range: `bytes=0-${half - 1}` } });
    const size = Number(first.headers.get("content-range")?.split("/")[1]);
    const etag = first.headers.get("etag");
    const firstBytes = new Uint8Array(await first.arrayBuffer());
    const rest = await fetch(url, { headers: { Range: `bytes=${half}-`, "If-Range": etag } });
    const restBytes = new Uint8Array(await rest.arrayBuffer());
    const whole = new Uint8Array(firstBytes.length + restBytes.length);
    whole.set(firstBytes);
    whole.set(restBytes, firstBytes.length);
    const digest = await crypto.subtle.digest("SHA-256", whole);
    const again = await fetch(url);
    return {
      size,
      etag,
      acceptRanges: first.headers.get("accept-ranges"),
      first: { status: first.status, range: first.headers.get("content-range"), length: firstBytes.length },
      rest: { status: rest.status, range: rest.headers.get("content-range"), length: restBytes.length },
      sha256: [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
      again: again.status,
    };
  }, { url: link.url, half });
  assert.equal(result.size, size);
  assert.equal(result.acceptRanges, "bytes");
  assert.match(result.etag ?? "", /^"[^"]+"$/, "a strong ETag");
  assert.deepEqual(result.first, { status: 206, range: `bytes 0-${half - 1}/${size}`, length: half });
  assert.deepEqual(result.rest, { status: 206, range: `bytes ${half}-${size - 1}/${size}`, length: size - half });
  assert.equal(result.sha256, batchJob.archive.sha256);
  // A complete download used the link up.
  assert.equal(result.again, 404);
  assert.equal((await api(null, link.url)).status, 404);
});

test("Delete removes a finished job's archive", async () => {
  assert.ok(batchJob, "the batch job of the first test is done");
  await goToJobs();
  const card = jobCard(batchJob.id);
  await card.waitFor();
  await card.getByRole("button", { name: /^Delete/ }).click();
  await card.getByText("The archive has been deleted or has expired.").waitFor();
  assert.equal(await card.getByRole("button", { name: /^Download/ }).count(), 0);
  const after = await api(token, `/api/export/jobs/${batchJob.id}`);
  assert.ok(after.status === 404 || after.body.archive === null, `after Delete: ${after.status} ${JSON.stringify(after.body)}`);
  assert.notEqual((await api(token, `/api/export/jobs/${batchJob.id}/link`, { method: "POST" })).status, 201);
});

test("a failed job shows its error", async () => {
  // The server's own failures (a full disk) are tested over HTTP; here the list answers
  // with a failed job, as the server reports one.
  const { jobs } = await apiJson(token, "/api/export/jobs?limit=1");
  const failed = {
    ...jobs[0],
    id: "failed-job-for-the-ui",
    state: "failed",
    error: "no space left on the device holding the data directory",
    archive: null,
  };
  await page.route("**/api/export/jobs?**", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.jobs.unshift(failed);
    await route.fulfill({ response, json: body });
  });
  await goToJobs();
  await page.getByRole("button", { name: "Refresh" }).click();
  const card = jobCard(failed.id);
  await card.getByRole("alert").getByText(`Failed: ${failed.error}`).waitFor();
  await card.getByRole("status").getByText("Failed").waitFor();
  assert.equal(await card.getByRole("button", { name: /^(Cancel|Download)/ }).count(), 0);
  await screenshot(page, "07-jobs-failed");
  await page.unroute("**/api/export/jobs?**");
});

test("at phone width (390×844) the selection and the Jobs page fit the screen", async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: baseUrl(), acceptDownloads: true });
  const phone = await context.newPage();
  await phone.goto("/");
  await logIn(phone, users.northUser);
  const cards = phone.getByRole("list", { name: "Patients" }).getByRole("article");
  await cards.first().getByRole("checkbox").check();
  const bar = phone.getByRole("region", { name: "Selection" });
  await bar.getByText("1 patient selected").waitFor();
  assert.equal(await bar.getByRole("button", { name: "Export selected" }).isVisible(), true);
  const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok((await overflow()) <= 0, "no horizontal scrolling on the Patients page");
  await screenshot(phone, "07-phone-patients-selected");
  await openMenu(phone);
  await phone.getByRole("link", { name: "Jobs" }).click();
  await phone.getByRole("list", { name: "Export jobs" }).waitFor();
  assert.ok((await overflow()) <= 0, "no horizontal scrolling on the Jobs page");
  await screenshot(phone, "07-phone-jobs");
  await context.close();
});
