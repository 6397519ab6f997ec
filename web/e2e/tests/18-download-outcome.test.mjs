// The Export dialog says what really became of a download, and what it will be: the
// outcome of the browser's use of the link ("Download complete", then "Download again"
// that makes a new link on purpose), an estimate that follows the options (previews,
// compression, metadata only, JSON) and holds against the real download, labels that do
// not claim DICOM data for a metadata-only export, Export All's confirmation, and the
// page a browser gets for a used link. A download that fails on the way (a stored file
// gone, on a server of this file's own) is said to have failed, and why.
import assert from "node:assert/strict";
import { renameSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, test } from "node:test";
import { api, apiJson, apiToken, baseUrl, studyWithImages, users } from "../lib/api.mjs";
import { exportDialog, launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { startPacsport } from "../lib/server.mjs";
import { zipEntries } from "../lib/zip.mjs";

let browser;
let page;
let token;
let study;

before(async () => {
  token = await apiToken(users.northUser);
  study = await studyWithImages(token);
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

async function openStudyExport(on = page) {
  await on.getByRole("link", { name: "Studies" }).click();
  await on.getByRole("searchbox", { name: /Search studies/ }).fill(study.patientID);
  const row = on.locator(`tbody tr[data-uid="${study.studyInstanceUID}"]`);
  await row.getByRole("button", { name: /^Download study / }).click();
  return exportDialog(on);
}

const estimateOf = (query) =>
  apiJson(token, `/api/export/estimate/study/${study.studyInstanceUID}?${new URLSearchParams(query)}`);
const shown = (dialog, key) => dialog.locator(`[data-key="${key}"]`);

test("a finished download says so; Download again makes a new link, and the estimate held", async () => {
  const dialog = await openStudyExport();
  await dialog.getByRole("checkbox", { name: "PNG previews of every frame" }).uncheck();
  await dialog.getByLabel("Compression").selectOption("0");
  const expected = await estimateOf({ includeImages: "true", format: "zip", previews: "false", compression: "0" });
  await eventually(async () =>
    assert.equal(Number(await shown(dialog, "estimatedBytes").getAttribute("data-value")), expected.estimatedBytes),
  );
  assert.match(await shown(dialog, "estimatedBytes").innerText(), /^about [\d.,]+ (bytes|KB|MB|GB): DICOM [\d.,]+ (bytes|KB|MB|GB)$/);
  assert.equal(Number(await shown(dialog, "estimatedDicomBytes").getAttribute("data-value")), expected.estimatedDicomBytes);
  assert.equal(await shown(dialog, "estimatedPreviewBytes").count(), 0, "no previews, no previews part");

  const links = [];
  page.on("request", (r) => r.url().includes("/api/export/link/") && links.push(r.url()));
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Export Data", exact: true }).click(),
  ]);
  const file = await download.path();
  assert.equal(await download.failure(), null);
  await dialog.getByText("Download complete").waitFor();
  const primary = dialog.getByRole("button", { name: "Download again", exact: true });
  await primary.waitFor();
  assert.equal(await dialog.getByRole("button", { name: "Export Data", exact: true }).count(), 0);
  assert.equal(links.length, 1);
  assert.match(links[0], /previews=false/);
  assert.match(links[0], /compression=0/);
  assert.ok(!zipEntries(file).some((entry) => entry.endsWith(".png")), "previews off: no PNG in the archive");
  const size = statSync(file).size;
  assert.ok(Math.abs(expected.estimatedBytes - size) <= 0.15 * size, `estimate ${expected.estimatedBytes} vs ${size} bytes`);
  await screenshot(page, "18-download-complete");

  // Only a deliberate second click makes a second link.
  await Promise.all([page.waitForEvent("download"), primary.click()]);
  await eventually(() => assert.equal(links.length, 2));
  await dialog.getByText("Download complete").waitFor();
  await dialog.getByRole("button", { name: "Close", exact: true }).click();
});

test("metadata-only and JSON exports do not list DICOM data as included, and print sizes once", async () => {
  const dialog = await openStudyExport();
  await dialog.getByRole("checkbox", { name: "Include DICOM images and previews" }).uncheck();
  const metadata = await estimateOf({ includeImages: "false", format: "zip" });
  await eventually(async () =>
    assert.equal(Number(await shown(dialog, "estimatedBytes").getAttribute("data-value")), metadata.estimatedBytes),
  );
  assert.equal(await shown(dialog, "dicomBytes").innerText(), "not included (metadata only)");
  assert.doesNotMatch(await shown(dialog, "estimatedBytes").innerText(), /DICOM|previews|\(/);
  await dialog.getByRole("radio", { name: "JSON only" }).check();
  const json = await estimateOf({ includeImages: "false", format: "json" });
  await eventually(async () =>
    assert.equal(Number(await shown(dialog, "estimatedBytes").getAttribute("data-value")), json.estimatedBytes),
  );
  assert.equal(await shown(dialog, "dicomBytes").innerText(), "not included (metadata only)");
  assert.doesNotMatch(await dialog.locator(".facts").innerText(), /bytes \(/);
  await dialog.getByRole("button", { name: "Cancel", exact: true }).click();
});

test("Export All names the hospital and its counts, and asks to confirm an export with images", async () => {
  const admin = await apiToken(users.northAdmin);
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, baseURL: baseUrl() });
  const adminPage = await context.newPage();
  await adminPage.goto("/");
  await logIn(adminPage, users.northAdmin);
  await adminPage.getByRole("button", { name: "Export All" }).click();
  const dialog = await exportDialog(adminPage);
  const estimate = await apiJson(admin, "/api/export/estimate/all?includeImages=true&format=zip");
  const { total: patients } = await apiJson(admin, "/api/patients?limit=1");
  const { user } = await apiJson(null, "/api/auth/login", { method: "POST", body: users.northAdmin });
  const summary = dialog.getByRole("group", { name: "Whole-hospital export" });
  await summary.getByText(/metadata only/).waitFor();
  await dialog.getByRole("checkbox", { name: "Include DICOM images and previews" }).check();
  const text = () => summary.innerText();
  await eventually(async () =>
    assert.match(
      await text(),
      new RegExp(`${patients.toLocaleString("en-US")} patients?, ${estimate.studies.toLocaleString("en-US")} stud(y|ies), ${estimate.instances.toLocaleString("en-US")} instances?, with their DICOM images`),
    ),
  );
  assert.ok(user.hospital && (await text()).includes(user.hospital), `"${await text()}" names ${user.hospital}`);
  const primary = dialog.getByRole("button", { name: /^(Export Data|Start export job)$/ });
  assert.equal(await primary.isDisabled(), true, "images of every patient wait for a confirmation");
  await summary.getByRole("checkbox", { name: /I confirm exporting the images of every patient/ }).check();
  assert.equal(await primary.isDisabled(), false);
  await screenshot(adminPage, "18-export-all-confirm");
  await context.close();
});

test("a used link opened by a browser gets a page saying so, not JSON", async () => {
  const link = await apiJson(token, `/api/export/link/study/${study.studyInstanceUID}?includeImages=false`, { method: "POST" });
  assert.equal((await api(null, link.url)).status, 200);
  const response = await page.goto(link.url);
  assert.equal(response.status(), 404);
  await page.getByRole("heading", { name: "Download link no longer valid" }).waitFor();
  await page.getByText("This download link was already used or has expired. Export again from pacsport.").waitFor();
  await screenshot(page, "18-used-link-page");
  await page.goto("/");
});

test("a download that fails on the way is said to have failed, and why", async () => {
  const server = await startPacsport({ bin: process.env.PACSPORT_BIN, linkSeconds: 10 });
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, baseURL: server.url });
  try {
    const previous = process.env.PACSPORT_URL;
    process.env.PACSPORT_URL = server.url;
    let detail;
    try {
      const own = await apiToken(users.northUser);
      detail = await apiJson(own, `/api/studies/${study.studyInstanceUID}`);
    } finally {
      process.env.PACSPORT_URL = previous;
    }
    // The study's last instance leaves the store: the archive breaks off before it.
    const victim = detail.instances.at(-1);
    const file = path.join(server.dataDir, "store", victim.sha256.slice(0, 2), victim.sha256.slice(2, 4), victim.sha256);
    renameSync(file, `${file}.gone`);
    const own = await context.newPage();
    await own.goto("/");
    await logIn(own, users.northUser);
    const dialog = await openStudyExport(own);
    const [download] = await Promise.all([
      own.waitForEvent("download"),
      dialog.getByRole("button", { name: "Export Data", exact: true }).click(),
    ]);
    assert.ok(await download.failure(), "the browser's download breaks off");
    const failed = dialog.getByRole("alert").filter({ hasText: "The download failed:" });
    await failed.waitFor();
    assert.ok((await failed.innerText()).includes(victim.sopInstanceUID), await failed.innerText());
    assert.equal(await dialog.getByText("Download complete").count(), 0);
    await dialog.getByRole("button", { name: "Download again", exact: true }).waitFor();
    await screenshot(own, "18-download-failed");
  } finally {
    await context.close();
    await server.stop();
  }
});
