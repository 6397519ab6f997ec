// A patient's disc (format=media) through the UI: the Export dialog's "Patient disc
// (DICOMDIR)" downloads a ZIP laid out as IHE PDI media; extracted, its INDEX.HTM opens
// from file:// in the browser (no server, no script) and shows every study of the
// patient, each preview image loaded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import { allPatients, apiJson, apiToken, studyWithImages, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let page;
let patient;

before(async () => {
  const token = await apiToken(users.northUser);
  const study = await studyWithImages(token);
  patient = (await allPatients(token)).find((p) => p.patientID === study.patientID);
  assert.ok(patient?.patientID, "the study with images has a Patient ID");
  patient.studies = (await apiJson(token, `/api/patients/${encodeURIComponent(patient.patientID)}/studies?limit=1000`)).studies;
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

test("a patient exported as a disc opens from file:// and shows every study with its previews", async () => {
  const search = page.getByRole("searchbox", { name: "Search patients by name or ID" });
  await search.fill(patient.patientID);
  const card = page
    .getByRole("list", { name: "Patients" })
    .getByRole("article")
    .filter({ has: page.getByText(patient.patientID, { exact: true }) });
  await eventually(async () => assert.equal(await card.count(), 1));
  await card.getByRole("button", { name: /^Export Data/ }).click();
  const dialog = await exportDialog(page);
  await dialog.getByRole("radio", { name: "Patient disc (DICOMDIR)" }).check();
  const images = dialog.getByRole("checkbox", { name: "Include DICOM images and previews" });
  assert.equal(await images.isChecked(), true);
  assert.equal(await images.isDisabled(), true, "a disc always holds the images");
  await dialog.getByText("A ZIP laid out as a patient disc").waitFor();
  await screenshot(page, "16-export-dialog-disc");

  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `patient_${patient.patientID}_media.zip`);
  const entries = zipEntries(file);
  for (const required of ["DICOMDIR", "INDEX.HTM", "README.TXT", "IHE_PDI/STYLE.CSS", "checksums.sha256"]) {
    assert.ok(entries.includes(required), `${required} is on the disc`);
  }
  const dicomFiles = entries.filter((e) => e.startsWith("DICOM/"));
  assert.ok(dicomFiles.length > 0);
  assert.ok(dicomFiles.every((e) => /^DICOM(\/[A-Z0-9_]{1,8}){4}$/.test(e)), dicomFiles.join(" "));
  const previews = entries.filter((e) => /^IHE_PDI\/.*\.PNG$/.test(e));
  assert.ok(previews.length > 0, "the patient's study has previews");
  const metadata = JSON.parse(zipText(file, "patient_data.json"));

  const extracted = mkdtempSync(path.join(tmpdir(), "pacsport-disc-"));
  execFileSync("unzip", ["-q", file, "-d", extracted]);
  const disc = await browser.newContext({ viewport: { width: 1280, height: 900 }, javaScriptEnabled: false });
  const index = await disc.newPage();
  await index.goto(pathToFileURL(path.join(extracted, "INDEX.HTM")).href);
  await index.getByRole("heading", { name: "Imaging studies", level: 1 }).waitFor();
  const sections = index.locator("section.study");
  assert.equal(await sections.count(), metadata.studies.length);
  assert.equal(metadata.studies.length, patient.studies.length);
  for (const study of patient.studies) {
    const description = study.studyDescription || "(none)";
    assert.equal(await sections.filter({ has: index.getByRole("heading", { name: description, level: 3 }) }).count() > 0, true, description);
  }
  // Every preview on the disc is shown and loaded from the extracted files.
  const shown = index.locator("img");
  assert.equal(await shown.count(), previews.length);
  await eventually(async () => {
    const widths = await shown.evaluateAll((imgs) => imgs.map((img) => (img.complete ? img.naturalWidth : 0)));
    assert.ok(widths.every((w) => w > 0), `every preview loaded: ${widths}`);
  });
  const sources = await shown.evaluateAll((imgs) => imgs.map((img) => img.getAttribute("src")));
  assert.deepEqual([...sources].sort(), [...previews].sort());
  // The style sheet was found too (relative link): the preview strip is a flex box.
  assert.equal(await index.locator(".previews").first().evaluate((el) => getComputedStyle(el).display), "flex");
  await screenshot(index, "16-disc-index");
  await disc.close();
});
