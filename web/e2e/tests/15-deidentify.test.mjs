// "De-identify for research" in the Export dialog, against the real server: a user
// exports a study de-identified for a project through the UI, and the downloaded
// archive (every entry inflated by Info-ZIP) holds neither the original Patient ID nor
// the Study UID, while its metadata shows the project's pseudonym; a second export of
// the same project gives the same pseudonym.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { apiToken, studyWithImages, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { zipText } from "../lib/zip.mjs";

let browser;
let page;
let study;

before(async () => {
  study = await studyWithImages(await apiToken(users.northUser));
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
  await page.getByRole("link", { name: "Studies" }).click();
});
after(async () => browser?.close());

/** Exports `study` de-identified for `project` through the dialog; the downloaded file. */
async function exportDeidentified(project) {
  await page.getByRole("searchbox", { name: /Search studies/ }).fill(study.patientID);
  const row = page.getByRole("table", { name: "Studies" }).locator(`tbody tr[data-uid="${study.studyInstanceUID}"]`);
  await row.getByRole("button", { name: /^Download study / }).click();
  const dialog = await exportDialog(page);
  const section = dialog.getByRole("group", { name: "De-identify for research" });
  await section.getByRole("checkbox", { name: "De-identify the export" }).check();
  // Without a project the export cannot start.
  assert.ok(await dialog.getByRole("button", { name: "Export Data", exact: true }).isDisabled());
  await section.getByLabel("Research project").fill(project);
  await section.getByRole("checkbox", { name: /Keep patient characteristics/ }).check();
  await screenshot(page, "15-deidentify");
  const downloaded = await exportAndDownload(dialog);
  await page.keyboard.press("Escape");
  return downloaded;
}

test("a de-identified export from the dialog holds no original Patient ID or Study UID", async () => {
  const { file, name } = await exportDeidentified("e2e-project");
  assert.ok(!name.includes(study.studyInstanceUID), name);
  // Every byte of every entry, inflated.
  const everything = execFileSync("unzip", ["-p", file], { maxBuffer: 256 << 20 });
  assert.equal(everything.indexOf(Buffer.from(study.patientID)), -1, "the original Patient ID is in the archive");
  assert.equal(everything.indexOf(Buffer.from(study.studyInstanceUID)), -1, "the original Study UID is in the archive");
  const metadata = JSON.parse(zipText(file, "study_data.json"));
  assert.match(metadata.patient.patientID, /^ANON-[A-Z2-7]{16}$/);
  assert.equal(metadata.metadata.deidentification.project, "e2e-project");
  assert.deepEqual(metadata.metadata.deidentification.options, ["retain-patient-characteristics"]);

  const again = await exportDeidentified("e2e-project");
  assert.equal(JSON.parse(zipText(again.file, "study_data.json")).patient.patientID, metadata.patient.patientID);
});
