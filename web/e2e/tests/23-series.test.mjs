// Series-level browsing and export (issue 15, item 14): Patient Details shows a study's
// series on demand, each with its size, and exports one series through the Export
// dialog: the download holds that series' instances alone, in the study layout.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiJson, apiToken, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot, shownEstimate } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let page;
let token;
// A study of several series whose patient has an ID (so a search finds its card).
let study;
let series;

before(async () => {
  token = await apiToken(users.northUser);
  const { studies } = await apiJson(token, "/api/studies?limit=100");
  for (const candidate of studies.filter((s) => s.patientID && s.numberOfSeries > 1)) {
    const listed = (await apiJson(token, `/api/studies/${candidate.studyInstanceUID}/series`)).series;
    if (listed.filter((s) => s.numberOfInstances > 0).length > 1) {
      study = candidate;
      series = listed;
      break;
    }
  }
  assert.ok(study, "the demo has a study of several series");
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

test("Patient Details shows a study's series; a series' button exports that series alone", async () => {
  const search = page.getByRole("searchbox", { name: "Search patients by name or ID" });
  await search.fill(study.patientID);
  const card = page
    .getByRole("list", { name: "Patients" })
    .getByRole("article")
    .filter({ has: page.getByText(study.patientID, { exact: true }) });
  await eventually(async () => assert.equal(await card.count(), 1));
  await card.getByRole("button", { name: /^Open details of / }).click();
  const details = page.getByRole("dialog", { name: "Patient Details" });
  await details.waitFor();

  const studyCard = details.locator(`article[data-uid="${study.studyInstanceUID}"]`);
  const toggle = studyCard.getByRole("button", { name: /^Series of study / });
  assert.equal(await toggle.getAttribute("aria-expanded"), "false");
  await toggle.click();
  assert.equal(await toggle.getAttribute("aria-expanded"), "true");
  const rows = details.locator(".series-row");
  await eventually(async () => assert.equal(await rows.count(), series.length));
  for (const [i, one] of series.entries()) {
    const row = rows.nth(i);
    assert.equal(await row.getAttribute("data-uid"), one.seriesInstanceUID);
    assert.match(await row.innerText(), new RegExp(`${one.numberOfInstances} instances?\\b`));
  }
  await screenshot(page, "23-series-list");

  const chosen = series.find((s) => s.numberOfInstances > 0);
  const row = details.locator(`.series-row[data-uid="${chosen.seriesInstanceUID}"]`);
  await row.getByRole("button", { name: /^Export series / }).click();
  const dialog = await exportDialog(page);
  assert.match(await dialog.innerText(), /Series/);
  const expected = await apiJson(token, `/api/export/estimate/series/${chosen.seriesInstanceUID}?includeImages=true&format=zip`);
  const shown = await shownEstimate(dialog);
  assert.deepEqual(shown, {
    studies: expected.studies,
    instances: expected.instances,
    dicomBytes: expected.dicomBytes,
    estimatedBytes: expected.estimatedBytes,
  });
  assert.equal(shown.instances, chosen.numberOfInstances);
  await screenshot(page, "23-series-export");

  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `series_${chosen.seriesInstanceUID}_export.zip`);
  const metadata = JSON.parse(zipText(file, "study_data.json"));
  assert.equal(metadata.metadata.exportType, "series");
  assert.equal(metadata.study.studyInstanceUID, study.studyInstanceUID);
  assert.deepEqual([...new Set(metadata.instances.map((i) => i.seriesInstanceUID))], [chosen.seriesInstanceUID]);
  const entries = zipEntries(file);
  assert.deepEqual(entries, expectedEntries(metadata, "study_data.json"));
  assert.equal(entries.filter((entry) => /^dicom\/\d+\.dcm$/.test(entry)).length, chosen.numberOfInstances);
  assert.ok(chosen.numberOfInstances < study.numberOfInstances, "the study's other series stay out");
});
