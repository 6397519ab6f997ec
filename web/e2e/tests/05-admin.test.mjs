// Admins: Export All and the audit log; users see neither.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiJson, apiToken, baseUrl, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot, shownEstimate } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("a user sees neither Export All nor the audit log, even at /audit", async () => {
  const page = await openApp(browser);
  await logIn(page, users.northUser);
  assert.equal(await page.getByRole("button", { name: "Export All" }).count(), 0);
  assert.equal(await page.getByRole("link", { name: "Audit log" }).count(), 0);
  await page.goto("/audit");
  await page.getByRole("heading", { name: "Patients", level: 1 }).waitFor();
  assert.equal(await page.getByRole("heading", { name: "Audit log" }).count(), 0);
});

test("Export All opens the Export dialog for the whole hospital and downloads it", async () => {
  const page = await openApp(browser);
  await logIn(page, users.northAdmin);
  await page.getByRole("button", { name: "Export All" }).click();
  const dialog = await exportDialog(page);
  // Metadata only by default, as GET /api/export/all.
  const checkbox = dialog.getByRole("checkbox", { name: "Include DICOM images and previews" });
  assert.equal(await checkbox.isChecked(), false);
  const token = await apiToken(users.northAdmin);
  const metadataOnly = await apiJson(token, "/api/export/estimate/all?includeImages=false&format=zip");
  const { studies, instances, dicomBytes, estimatedBytes } = metadataOnly;
  assert.deepEqual(await shownEstimate(dialog), { studies, instances, dicomBytes, estimatedBytes });
  await checkbox.check();
  const withImages = await apiJson(token, "/api/export/estimate/all?includeImages=true&format=zip");
  await eventually(async () => assert.equal((await shownEstimate(dialog)).estimatedBytes, withImages.estimatedBytes));
  await screenshot(page, "05-export-all");
  await checkbox.uncheck();
  await eventually(async () => assert.equal((await shownEstimate(dialog)).estimatedBytes, metadataOnly.estimatedBytes));

  const { file, name } = await exportAndDownload(dialog);
  assert.match(name, /^export_all_.*\.zip$/);
  assert.deepEqual(zipEntries(file), ["all_data.json", "checksums.sha256", "receipt.json"]);
  const metadata = JSON.parse(zipText(file, "all_data.json"));
  assert.deepEqual(zipEntries(file), expectedEntries(metadata, "all_data.json"));
  assert.equal(metadata.studies.length, studies);
  assert.equal(metadata.instances.length, instances);
  assert.ok(metadata.patients.every((p) => p.patientID !== undefined));
});

test("the audit log lists the hospital's exports and filters them by outcome", async () => {
  const token = await apiToken(users.northAdmin);
  // A refused export, so that there is a denied record to filter for.
  const refused = await fetch(`${baseUrl()}/api/export/study/1.2.3.4.5.6.7.8.9`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(refused.status, 404);
  const page = await openApp(browser);
  await logIn(page, users.northAdmin);
  await page.getByRole("link", { name: "Audit log" }).click();
  const table = page.getByRole("table", { name: "Audit log" });
  const all = await apiJson(token, "/api/audit?limit=50");
  await eventually(async () => assert.equal(await table.locator("tbody tr").count(), Math.min(50, all.total)));
  const firstRow = await table.locator("tbody tr").first().locator("td").allInnerTexts();
  assert.match(firstRow[1], new RegExp(`^${all.records[0].username}\\s`));
  await screenshot(page, "05-audit-log");

  const denied = await apiJson(token, "/api/audit?outcome=denied&limit=50");
  assert.ok(denied.total > 0);
  await page.getByLabel("Outcome").selectOption("denied");
  await eventually(async () => {
    const outcomes = await table.locator("tbody tr .outcome").allInnerTexts();
    assert.equal(outcomes.length, Math.min(50, denied.total));
    assert.ok(outcomes.every((o) => o === "Denied"));
  });
  // Refused before the export was planned: the target is the UID that was asked for.
  const targets = await table.locator("tbody tr td:nth-child(4)").allInnerTexts();
  assert.ok(targets.includes("1.2.3.4.5.6.7.8.9"), targets.join());
  await page.getByRole("navigation", { name: "Audit log pages" }).getByText(`1–${Math.min(50, denied.total)} of ${denied.total}`).waitFor();
  await screenshot(page, "05-audit-log-denied");
  // Only this hospital's records: none of them names another hospital's user.
  const users_ = await table.locator("tbody tr td:nth-child(2)").allInnerTexts();
  assert.ok(users_.every((u) => u.startsWith("north-")));
});
