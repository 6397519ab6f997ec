// Hospital isolation and the download links: another hospital's patient is neither
// listed nor exportable; a link works once, for the user who asked, then answers 404,
// as an unknown or expired one does.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { allPatients, api, apiJson, apiToken, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";

let browser;
let page;
let north;
let river;
// A patient only Riverside Clinic has, and one of its studies.
let riverPatient;
let riverStudy;
// A link asked for at the start, to be seen expired at the end.
let early;

before(async () => {
  north = await apiToken(users.northUser);
  river = await apiToken(users.riverUser);
  const northIDs = new Set((await allPatients(north)).map((p) => p.patientID));
  riverPatient = (await allPatients(river)).find((p) => p.patientID && !northIDs.has(p.patientID));
  assert.ok(riverPatient, "the demo data has a patient only Riverside Clinic holds");
  const { studies } = await apiJson(river, `/api/patients/${encodeURIComponent(riverPatient.patientID)}/studies`);
  riverStudy = studies[0];
  early = await apiJson(river, `/api/export/link/study/${riverStudy.studyInstanceUID}?format=json`, { method: "POST" });
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

test("another hospital's patient is not listed, by ID or by name", async () => {
  const search = page.getByRole("searchbox", { name: "Search patients by name or ID" });
  await search.fill(riverPatient.patientID);
  await page.getByText("No patient matches").waitFor();
  await screenshot(page, "04-other-hospital-not-listed");
  await search.fill(riverPatient.patientName.split("^")[0]);
  await eventually(async () => {
    const ids = await page.locator(".patient-card dd.mono").allInnerTexts();
    assert.ok(!ids.includes(riverPatient.patientID), `north-user sees ${riverPatient.patientID}`);
  });
  await page.getByRole("link", { name: "Studies" }).click();
  await page.getByRole("searchbox", { name: /Search studies/ }).fill(riverPatient.patientID);
  await page.getByText("No study matches these filters.").waitFor();
});

test("another hospital's patient and study answer 404 to estimates, links and thumbnails", async () => {
  const patient = encodeURIComponent(riverPatient.patientID);
  const study = riverStudy.studyInstanceUID;
  for (const [method, path] of [
    ["GET", `/api/export/estimate/patient/${patient}`],
    ["GET", `/api/export/estimate/study/${study}`],
    ["POST", `/api/export/link/patient/${patient}`],
    ["POST", `/api/export/link/study/${study}`],
    ["GET", `/api/studies/${study}/thumbnail`],
  ]) {
    const { status, body } = await api(north, path, { method });
    assert.equal(status, 404, `${method} ${path} as north-user`);
    assert.equal(body.error.code, "not_found");
  }
  // The same requests by that hospital's own user succeed.
  assert.equal((await api(river, `/api/export/estimate/study/${study}`)).status, 200);
});

test("a link is bound to the user who asked: it exports that user's data, once, audited as them", async () => {
  const link = await apiJson(river, `/api/export/link/study/${riverStudy.studyInstanceUID}?includeImages=false`, { method: "POST" });
  assert.match(link.url, /^\/api\/downloads\/[A-Za-z0-9_-]{20,}$/);
  assert.ok(Date.parse(link.expiresAt) - Date.now() <= 61_000);

  // The north user's browser redeems river-user's link: it gets river-user's export, the
  // one that link names and nothing else, and the audit trail names river-user.
  const first = await page.evaluate(async (url) => {
    const response = await fetch(url);
    return { status: response.status, disposition: response.headers.get("content-disposition"), size: (await response.arrayBuffer()).byteLength };
  }, link.url);
  assert.equal(first.status, 200);
  assert.match(first.disposition, new RegExp(`attachment; filename="study_${riverStudy.studyInstanceUID.replaceAll(".", "\\.")}_export\\.zip"`));
  assert.ok(first.size > 0);

  // Used: refused, in the browser and by any client.
  const again = await page.evaluate(async (url) => (await fetch(url)).status, link.url);
  assert.equal(again, 404);
  const { status, body } = await api(null, link.url);
  assert.equal(status, 404);
  assert.equal(body.error.code, "not_found");

  const riverAdmin = await apiToken({ username: "river-admin", password: "river-admin-pass" });
  const { records } = await apiJson(riverAdmin, "/api/audit?limit=20");
  const uses = records.filter((r) => r.endpoint === "GET /api/downloads/:token" && r.target === riverStudy.studyInstanceUID);
  const used = uses.find((r) => r.outcome === "success");
  assert.ok(used, "the link's export is in river's audit trail");
  assert.equal(used.username, users.riverUser.username);
  // The two refused uses after it (the browser's and the other client's) are audited
  // under the link's user too.
  const refused = uses.filter((r) => r.outcome === "denied");
  assert.equal(refused.length, 2);
  assert.ok(refused.every((r) => r.username === users.riverUser.username && r.id > used.id));
  const northAdmin = await apiToken(users.northAdmin);
  const northRecords = (await apiJson(northAdmin, "/api/audit?limit=1000")).records;
  assert.ok(!northRecords.some((r) => r.target === riverStudy.studyInstanceUID), "north's audit trail holds nothing of river's");
});

test("an unknown download link answers 404, and the browser's download fails", async () => {
  const unknown = "/api/downloads/" + "A".repeat(43);
  assert.equal((await api(null, unknown)).status, 404);
  const where = page.url();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.evaluate((url) => {
      const a = document.createElement("a");
      a.href = url;
      a.download = "";
      document.body.append(a);
      a.click();
      a.remove();
    }, unknown),
  ]);
  assert.ok(await download.failure(), "the browser reports the download as failed");
  assert.equal(page.url(), where, "the page stays where it was");
});

test("an expired download link answers 404", async () => {
  const wait = Date.parse(early.expiresAt) + 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const { status, body } = await api(null, early.url);
  assert.equal(status, 404);
  assert.equal(body.error.code, "not_found");
});
