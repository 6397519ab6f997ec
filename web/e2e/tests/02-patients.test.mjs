// Patients page: search, paging, the card's export with and without images and as JSON,
// and Patient Details with a study's export from its card.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { allPatients, apiJson, apiToken, studyWithImages, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot, shownEstimate } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let page;
let token;
let patients;
// A patient with images: the patient of the largest study that has a thumbnail.
let patient;

before(async () => {
  token = await apiToken(users.northUser);
  patients = await allPatients(token);
  const study = await studyWithImages(token);
  patient = patients.find((p) => p.patientID === study.patientID);
  assert.ok(patient?.patientID, "the study with images has a Patient ID");
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

const search = () => page.getByRole("searchbox", { name: "Search patients by name or ID" });
const cards = () => page.getByRole("list", { name: "Patients" }).getByRole("article");

async function findPatient(text) {
  if ((await search().inputValue()) === text) return;
  const request = page.waitForRequest((r) => r.url().includes("/api/patients?") && (new URL(r.url()).searchParams.get("search") ?? "") === text);
  await search().fill(text);
  await request;
}

function cardOf(p) {
  return cards().filter({ has: page.getByText(p.patientID, { exact: true }) });
}

test("the page shows a card per patient of the hospital", async () => {
  await eventually(async () => assert.equal(await cards().count(), Math.min(patients.length, 24)));
  await screenshot(page, "02-patients");
});

test("search by name and by ID asks the server and finds the patient", async () => {
  const family = patient.patientName.split("^")[0];
  await findPatient(family);
  await eventually(async () => assert.ok((await cardOf(patient).count()) === 1));
  const card = cardOf(patient);
  const facts = await card.locator("dd").allInnerTexts();
  assert.equal(facts[0], patient.patientID);
  assert.equal(facts[3], String(patient.studyCount));
  const date = patient.latestStudyDate;
  assert.equal(facts[4], `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`);

  await findPatient(patient.patientID);
  await eventually(async () => assert.equal(await cardOf(patient).count(), 1));
  await screenshot(page, "02-patients-search");

  await findPatient("no patient is called this");
  await page.getByText("No patient matches").waitFor();
  await findPatient("");
  await eventually(async () => assert.equal(await cards().count(), Math.min(patients.length, 24)));
});

test("paging is done by the server", async () => {
  assert.ok(patients.length > 12, "the demo data has more than 12 patients");
  const pager = page.getByRole("navigation", { name: "Patients pages" });
  await pager.getByLabel("Per page").selectOption("12");
  await pager.getByText(`1–12 of ${patients.length}`).waitFor();
  await eventually(async () => assert.equal(await cards().count(), 12));
  const request = page.waitForRequest((r) => r.url().includes("/api/patients?") && new URL(r.url()).searchParams.get("offset") === "12");
  await pager.getByRole("button", { name: "Next page" }).click();
  await request;
  await pager.getByText(`13–${Math.min(24, patients.length)} of ${patients.length}`).waitFor();
  await eventually(async () => assert.equal(await cards().count(), Math.min(12, patients.length - 12)));
  await pager.getByLabel("Per page").selectOption("24");
});

async function openCardExport() {
  await findPatient(patient.patientID);
  await eventually(async () => assert.equal(await cardOf(patient).count(), 1));
  await cardOf(patient).getByRole("button", { name: /^Export Data/ }).click();
  return exportDialog(page);
}

async function apiEstimate(scope, query) {
  return apiJson(token, `/api/export/estimate/${scope}?${new URLSearchParams(query)}`);
}

function pick(estimate) {
  const { studies, instances, dicomBytes, estimatedBytes } = estimate;
  return { studies, instances, dicomBytes, estimatedBytes };
}

test("exporting a patient with images from its card downloads the whole ZIP", async () => {
  const dialog = await openCardExport();
  const checkbox = dialog.getByRole("checkbox", { name: "Include DICOM images and previews" });
  assert.equal(await checkbox.isChecked(), true);
  assert.equal(await dialog.getByRole("radio", { name: "ZIP archive" }).isChecked(), true);
  const scope = `patient/${encodeURIComponent(patient.patientID)}`;
  const expected = await apiEstimate(scope, { includeImages: "true", format: "zip" });
  assert.deepEqual(await shownEstimate(dialog), pick(expected));
  assert.ok(expected.instances > 0);
  assert.equal(await dialog.locator('dd[data-key="instances"]').innerText(), expected.instances.toLocaleString("en-US"));
  await screenshot(page, "02-export-dialog-patient");

  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `patient_${patient.patientID}_export.zip`);
  await dialog.getByText("Download complete").waitFor();
  const entries = zipEntries(file);
  const metadata = JSON.parse(zipText(file, "patient_data.json"));
  assert.deepEqual(entries, expectedEntries(metadata, "patient_data.json"));
  assert.equal(entries.filter((entry) => /^studies\/[^/]+\/\d+\.dcm$/.test(entry)).length, expected.instances);
  assert.ok(entries.some((entry) => /^studies\/[^/]+\/previews\/frame_0\.png$/.test(entry)));
  assert.equal(metadata.metadata.includesImages, true);
  assert.equal(metadata.metadata.exportedBy, users.northUser.username);
  await dialog.getByRole("button", { name: "Close", exact: true }).click();
});

test("exporting a patient without images downloads the metadata only", async () => {
  const dialog = await openCardExport();
  await dialog.getByRole("checkbox", { name: "Include DICOM images and previews" }).uncheck();
  const scope = `patient/${encodeURIComponent(patient.patientID)}`;
  const expected = await apiEstimate(scope, { includeImages: "false", format: "zip" });
  await eventually(async () => assert.deepEqual(await shownEstimate(dialog), pick(expected)));
  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `patient_${patient.patientID}_export.zip`);
  assert.deepEqual(zipEntries(file), ["checksums.sha256", "patient_data.json", "receipt.json"]);
  const metadata = JSON.parse(zipText(file, "patient_data.json"));
  assert.equal(metadata.metadata.includesImages, false);
  assert.equal(metadata.patient.patientID, patient.patientID);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});

test("exporting a patient as JSON only downloads the metadata document", async () => {
  const dialog = await openCardExport();
  await dialog.getByRole("radio", { name: "JSON only" }).check();
  assert.equal(await dialog.getByRole("checkbox", { name: "Include DICOM images and previews" }).isDisabled(), true);
  const scope = `patient/${encodeURIComponent(patient.patientID)}`;
  const expected = await apiEstimate(scope, { includeImages: "false", format: "json" });
  await eventually(async () => assert.deepEqual(await shownEstimate(dialog), pick(expected)));
  const { file } = await exportAndDownload(dialog);
  const metadata = JSON.parse(readFileSync(file, "utf8"));
  assert.equal(metadata.patient.patientID, patient.patientID);
  assert.equal(metadata.metadata.includesImages, false);
  assert.equal(metadata.studies.length, patient.studyCount);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});

test("Patient Details lists the studies; a study card's download icon exports that study", async () => {
  await findPatient(patient.patientID);
  await eventually(async () => assert.equal(await cardOf(patient).count(), 1));
  // A click anywhere on the card (not only on the name) opens the details.
  await cardOf(patient).click({ position: { x: 30, y: 70 } });
  const details = page.getByRole("dialog", { name: "Patient Details" });
  await details.waitFor();
  const { studies } = await apiJson(token, `/api/patients/${encodeURIComponent(patient.patientID)}/studies`);
  const studyCards = details.getByRole("list", { name: "Studies" }).getByRole("article");
  await eventually(async () => assert.equal(await studyCards.count(), studies.length));
  await screenshot(page, "02-patient-details");

  const study = studies[0];
  const button = details.getByRole("button", { name: /^Download study / }).first();
  await button.click();
  const dialog = await exportDialog(page);
  const expected = await apiEstimate(`study/${study.studyInstanceUID}`, { includeImages: "true", format: "zip" });
  assert.deepEqual(await shownEstimate(dialog), pick(expected));
  await screenshot(page, "02-patient-details-export");
  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `study_${study.studyInstanceUID}_export.zip`);
  const entries = zipEntries(file);
  const metadata = JSON.parse(zipText(file, "study_data.json"));
  assert.deepEqual(entries, expectedEntries(metadata, "study_data.json"));
  assert.equal(entries.filter((entry) => /^dicom\/\d+\.dcm$/.test(entry)).length, study.numberOfInstances);

  // Escape closes the Export dialog first, then Patient Details.
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.equal(await details.isVisible(), true);
  await page.keyboard.press("Escape");
  await details.waitFor({ state: "detached" });
});

test("the keyboard alone opens a patient's details and its export", async () => {
  await findPatient(patient.patientID);
  await eventually(async () => assert.equal(await cardOf(patient).count(), 1));
  await search().focus();
  const open = cardOf(patient).getByRole("button", { name: /^Open details of / });
  for (let i = 0; i < 10 && !(await open.evaluate((el) => el === document.activeElement)); i++) {
    await page.keyboard.press("Tab");
  }
  assert.equal(await open.evaluate((el) => el === document.activeElement), true, "Tab reaches the card");
  await page.keyboard.press("Enter");
  const details = page.getByRole("dialog", { name: "Patient Details" });
  await details.waitFor();
  await page.keyboard.press("Escape");
  await details.waitFor({ state: "detached" });
  // Focus returns to the card, and the next Tab reaches its Export Data button.
  assert.equal(await open.evaluate((el) => el === document.activeElement), true, "focus returns to the card");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  const dialog = await exportDialog(page);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
});
