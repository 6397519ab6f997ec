// Studies tab: the table with thumbnails and the AI badge, server-side sorting and
// filtering, and a study's export from its download icon.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { apiJson, apiToken, baseUrl, studyWithImages, users } from "../lib/api.mjs";
import { exportAndDownload, exportDialog, launch, logIn, openApp, screenshot, shownEstimate } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";
import { expectedEntries, zipEntries, zipText } from "../lib/zip.mjs";

let browser;
let page;
let token;
let studies;
// The largest study with a thumbnail: it has images, so previews too.
let study;

before(async () => {
  token = await apiToken(users.northUser);
  studies = (await apiJson(token, "/api/studies?limit=1000")).studies;
  study = await studyWithImages(token);
  // AI results for that study, put as the hospital's AI account does.
  const response = await fetch(`${baseUrl()}/api/studies/${study.studyInstanceUID}/ai-analysis`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${await apiToken({ username: "north-ai", password: "north-ai-pass" })}`, "Content-Type": "application/json" },
    body: JSON.stringify({ analysis: { findings: [{ label: "nodule", probability: 0.12 }] }, models: ["lung-nodule-v2"] }),
  });
  assert.ok(response.ok, `PUT ai-analysis: ${response.status}`);
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
  await page.getByRole("link", { name: "Studies" }).click();
});
after(async () => browser?.close());

const table = () => page.getByRole("table", { name: "Studies" });
const rows = () => table().locator("tbody tr");
const search = () => page.getByRole("searchbox", { name: /Search studies/ });
const rowOf = (s) => rows().and(page.locator(`[data-uid="${s.studyInstanceUID}"]`));

test("the table lists the hospital's studies, newest first, with thumbnails and the AI badge", async () => {
  assert.equal(page.url(), `${baseUrl()}/studies`);
  await eventually(async () => assert.equal(await rows().count(), Math.min(25, studies.length)));
  await search().fill(study.patientID);
  const row = rowOf(study);
  await row.waitFor();
  assert.match(await row.locator(".badge").innerText(), /^AI/);
  // The thumbnail came from the server with the Bearer token and decoded.
  await eventually(async () => {
    const width = await row.locator("img.thumb").evaluate((img) => img.naturalWidth);
    assert.ok(width > 0 && width <= 128, `thumbnail width ${width}`);
  });
  await search().fill("");
  await eventually(async () => assert.equal(await rows().count(), Math.min(25, studies.length)));
  // Every thumbnail of the page has loaded or been found missing.
  await eventually(async () => assert.equal(await page.locator(".thumb-loading").count(), 0), { timeout: 60_000 });
  assert.ok((await page.locator("img.thumb").count()) > 1);
  await screenshot(page, "03-studies");
});

test("a study without a renderable image shows the 'no preview' icon", async () => {
  const withoutImage = [];
  for (const s of studies) {
    const response = await fetch(`${baseUrl()}/api/studies/${s.studyInstanceUID}/thumbnail`, { headers: { Authorization: `Bearer ${token}` } });
    if (response.status === 204) withoutImage.push(s);
    else assert.equal(response.headers.get("content-type"), "image/png");
  }
  assert.ok(withoutImage.length > 0, "the demo data has studies without images (RT plans, SRs)");
  const s = withoutImage.find((candidate) => candidate.patientID) ?? withoutImage[0];
  await search().fill(s.patientID || s.patientName);
  await rowOf(s).waitFor();
  await rowOf(s).getByRole("img", { name: "No preview" }).waitFor();
  assert.equal(await rowOf(s).locator("img").count(), 0);
  await search().fill("");
});

test("sorting by a column asks the server and shows its order", async () => {
  for (const [column, sort] of [
    ["Patient", "patient"],
    ["Modality", "modality"],
    ["Date", "date-desc"],
    ["Date", "date-asc"],
  ]) {
    const request = page.waitForRequest((r) => r.url().includes("/api/studies?") && new URL(r.url()).searchParams.get("sort") === sort);
    await table().getByRole("button", { name: column }).click();
    await request;
    const expected = (await apiJson(token, `/api/studies?sort=${sort}&limit=25`)).studies.map((s) => s.patientID || "no ID");
    await eventually(async () => {
      const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.cells[4].querySelector(".mono").textContent));
      assert.deepEqual(shown, expected);
    });
    const header = table().locator("th", { has: page.getByRole("button", { name: column }) });
    assert.equal(await header.getAttribute("aria-sort"), sort === "date-desc" ? "descending" : "ascending");
  }
});

test("filtering by modality and by text asks the server", async () => {
  const modality = study.modality;
  const expected = await apiJson(token, `/api/studies?modality=${modality}&limit=1000`);
  await page.getByLabel("Modality").selectOption(modality);
  await eventually(async () => {
    const shown = await rows().evaluateAll((trs) => trs.map((tr) => tr.cells[5].textContent));
    assert.equal(shown.length, Math.min(25, expected.total));
    assert.ok(shown.every((m) => m === modality));
  });
  await page.getByRole("navigation", { name: "Studies pages" }).getByText(`1–${Math.min(25, expected.total)} of ${expected.total}`).waitFor();
  await search().fill("no study is described like this");
  await page.getByText("No study matches these filters.").waitFor();
  await search().fill("");
  await page.getByLabel("Modality").selectOption("");
  await eventually(async () => assert.equal(await rows().count(), Math.min(25, studies.length)));
});

test("a study's download icon exports it with the estimate the API gives", async () => {
  await search().fill(study.patientID);
  await rowOf(study).getByRole("button", { name: /^Download study / }).click();
  const dialog = await exportDialog(page);
  const expected = await apiJson(token, `/api/export/estimate/study/${study.studyInstanceUID}?includeImages=true&format=zip`);
  const { studies: n, instances, dicomBytes, estimatedBytes } = expected;
  assert.deepEqual(await shownEstimate(dialog), { studies: n, instances, dicomBytes, estimatedBytes });
  await screenshot(page, "03-studies-export");
  const { file, name } = await exportAndDownload(dialog);
  assert.equal(name, `study_${study.studyInstanceUID}_export.zip`);
  const entries = zipEntries(file);
  const metadata = JSON.parse(zipText(file, "study_data.json"));
  assert.deepEqual(entries, expectedEntries(metadata, "study_data.json"));
  assert.equal(entries.filter((entry) => /^dicom\/\d+\.dcm$/.test(entry)).length, study.numberOfInstances);
  assert.ok(entries.includes("previews/frame_0.png"));
  assert.deepEqual(metadata.study.aiModels, ["lung-nodule-v2"]);
  await page.keyboard.press("Escape");
});
