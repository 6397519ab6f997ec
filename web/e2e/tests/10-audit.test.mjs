// The audit page as a hospital's IT admin reads it: each record's scope and a readable
// target, the record in full (its studies, its seal), refused uses of a download link
// under Denied with the link's user, filters kept in the URL (a reload or a shared link
// keeps them) and the filtered records downloaded as CSV and JSON lines.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { api, apiJson, apiToken, baseUrl, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";

let browser;
let admin;
// A study of the hospital with a description and a Patient ID, exported by the admin.
let study;
let studyRecord;
// A patient with several studies, exported by the admin: a record of several studies.
let patientStudies;
let patientRecord;
// north-user's download link used twice: the second use is refused.
let refusedRecord;

/** The newest audit record matching `query` that is newer than `after`, once it is final. */
async function recordAfter(afterId, query) {
  return eventually(async () => {
    const { records } = await apiJson(admin, `/api/audit?limit=50&${query}`);
    const record = records.find((r) => r.id > afterId);
    assert.ok(record, `a record of ${query} newer than ${afterId}`);
    assert.notEqual(record.outcome, "in_progress");
    return record;
  });
}

before(async () => {
  admin = await apiToken(users.northAdmin);
  const newest = (await apiJson(admin, "/api/audit?limit=1")).records[0]?.id ?? 0;

  const { studies } = await apiJson(admin, "/api/studies?limit=1000");
  study = studies.find((s) => s.studyDescription && s.patientID);
  assert.ok(study, "the demo data has a study with a description and a Patient ID");
  const exported = await api(admin, `/api/export/study/${study.studyInstanceUID}?includeImages=false`);
  assert.equal(exported.status, 200);
  studyRecord = await recordAfter(newest, `scope=study&studyUid=${study.studyInstanceUID}&outcome=success`);

  const patient = (await apiJson(admin, "/api/patients?limit=1000")).patients.find((p) => p.patientID && p.studyCount >= 2);
  assert.ok(patient, "the demo data has a patient with several studies");
  patientStudies = (await apiJson(admin, `/api/patients/${encodeURIComponent(patient.patientID)}/studies?limit=1000`)).studies;
  assert.equal((await api(admin, `/api/export/patient/${encodeURIComponent(patient.patientID)}?includeImages=false`)).status, 200);
  patientRecord = await recordAfter(newest, `scope=patient&patientId=${encodeURIComponent(patient.patientID)}&outcome=success`);

  const user = await apiToken(users.northUser);
  const link = await apiJson(user, `/api/export/link/study/${study.studyInstanceUID}?includeImages=false`, { method: "POST" });
  assert.equal((await api(null, link.url)).status, 200);
  assert.notEqual((await api(null, link.url)).status, 200);
  refusedRecord = await recordAfter(newest, `outcome=denied&user=${users.northUser.username}`);

  browser = await launch();
});
after(async () => browser?.close());

async function openAudit() {
  const page = await openApp(browser);
  await logIn(page, users.northAdmin);
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("table", { name: "Audit log" }).waitFor();
  return page;
}

const row = (page, record) => page.getByRole("table", { name: "Audit log" }).locator(`tbody tr[data-record-id="${record.id}"]`);
/** The texts of the record's row, once the page lists it. */
async function rowCells(page, record) {
  await row(page, record).waitFor();
  return row(page, record).locator("td").allInnerTexts();
}
const detailsButton = (page, record) => page.getByRole("button", { name: new RegExp(`details of record ${record.id}$`) });
/** The value the detail view shows for a field (its <dt> label). */
const fact = (dialog, label) => dialog.locator("dt", { hasText: new RegExp(`^${label}$`) }).locator("xpath=following-sibling::dd[1]");

test("a study export is listed with its scope and a readable target: study, date, patient name and ID", async () => {
  const page = await openAudit();
  const cells = await rowCells(page, studyRecord);
  assert.match(cells[1], /^north-admin\s+admin$/);
  // The scope, and how the export was asked for (here the API, not a browser's link).
  assert.equal(cells[2], "Study\nAPI export");
  assert.equal(cells[3], studyRecord.targetLabel);
  assert.ok(cells[3].includes(study.studyDescription), `"${cells[3]}" names the study's description`);
  assert.ok(cells[3].includes(`(${study.patientID})`), `"${cells[3]}" names the Patient ID`);
  assert.ok(!cells[3].includes(study.studyInstanceUID), "the target is not the bare UID");
  assert.equal(cells[4], "Success");
  assert.equal(cells[6], String(studyRecord.instances));
  assert.equal(await row(page, patientRecord).locator("td").nth(2).innerText(), "Patient\nAPI export");
  await screenshot(page, "10-audit-log");
  await page.context().close();
});

test("a record opens from the keyboard and shows every field, its seal and its studies; Escape closes it", async () => {
  const { keyId } = await apiJson(null, "/api/audit/public-key");
  const sealed = await eventually(async () => {
    const { records } = await apiJson(admin, `/api/audit?scope=patient&limit=50`);
    const record = records.find((r) => r.id === patientRecord.id);
    assert.ok(record?.seal, "the patient export's record is sealed");
    return record;
  });
  const page = await openAudit();
  await page.getByText(`Records signed by key ${keyId}`).waitFor();
  const button = detailsButton(page, sealed);
  await button.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Audit record ${sealed.id}` });
  await dialog.waitFor();
  assert.equal(await fact(dialog, "Request ID").innerText(), sealed.requestId);
  assert.ok(sealed.requestId.length > 0);
  assert.equal(await fact(dialog, "Client address").innerText(), sealed.clientAddress);
  assert.equal(await fact(dialog, "Endpoint").innerText(), sealed.endpoint);
  assert.equal(await fact(dialog, "Content SHA-256").innerText(), sealed.contentSha256);
  assert.match(sealed.contentSha256, /^[0-9a-f]{64}$/);
  const seal = await fact(dialog, "Seal").innerText();
  assert.ok(seal.includes(`chain record ${sealed.seal.chainSeq}`), seal);
  assert.ok(seal.includes(`key ${keyId}`), seal);
  assert.equal(sealed.seal.keyId, keyId);
  assert.match(await fact(dialog, "Exported").innerText(), new RegExp(`^${patientStudies.length} studies`));

  const studies = dialog.getByRole("table", { name: "Studies exported" });
  await studies.waitFor();
  const uids = await studies.locator("tbody tr td:first-child").allInnerTexts();
  assert.deepEqual(uids.sort(), patientStudies.map((s) => s.studyInstanceUID).sort());
  const ids = await studies.locator("tbody tr td:nth-child(2)").allInnerTexts();
  assert.ok(ids.every((id) => id === patientStudies[0].patientID));
  await dialog.getByText(`1–${patientStudies.length} of ${patientStudies.length}`).waitFor();
  await screenshot(page, "10-audit-record");

  await page.keyboard.press("Escape");
  await eventually(async () => assert.equal(await dialog.count(), 0));
  assert.equal(await button.evaluate((element) => element === document.activeElement), true, "the focus is back on the row");
  await page.context().close();
});

test("a refused second use of a download link is listed under Denied, as the link's user, with the reason", async () => {
  const page = await openAudit();
  await page.getByLabel("Outcome").selectOption("denied");
  const table = page.getByRole("table", { name: "Audit log" });
  await eventually(async () => {
    const outcomes = await table.locator("tbody tr .outcome").allInnerTexts();
    assert.ok(outcomes.length > 0);
    assert.ok(outcomes.every((o) => o === "Denied"), outcomes.join());
  });
  const cells = await rowCells(page, refusedRecord);
  assert.match(cells[1], new RegExp(`^${users.northUser.username}\\s+user$`));
  assert.match(cells[4], /^Denied/);
  assert.equal(cells[2], "Study\nBrowser download", "a browser's download is named as such, not by its route");
  assert.equal(cells[3], studyRecord.targetLabel, "the refused link names the study it was for, readably");
  assert.ok(refusedRecord.detail, "the server says why the link was refused");
  await detailsButton(page, refusedRecord).click();
  const dialog = page.getByRole("dialog", { name: `Audit record ${refusedRecord.id}` });
  assert.equal(await fact(dialog, "Detail").innerText(), refusedRecord.detail);
  assert.match(await fact(dialog, "User").innerText(), new RegExp(`^${users.northUser.username} \\(user\\)`));
  assert.equal(await fact(dialog, "Channel").innerText(), "Browser download");
  assert.equal(await fact(dialog, "Size").innerText(), "0 bytes", "a small size is printed once");
  await screenshot(page, "10-audit-denied");
  await page.context().close();
});

const today = () => {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
};

test("the filters live in the URL: a reload and a shared link keep them, at desktop and phone width", async () => {
  const page = await openAudit();
  const filters = {
    From: today(),
    To: today(),
    User: users.northAdmin.username,
    "Patient ID": study.patientID,
    "Study UID": study.studyInstanceUID,
  };
  for (const [label, value] of Object.entries(filters)) await page.getByLabel(label, { exact: true }).fill(value);
  await page.getByLabel("Outcome").selectOption("success");
  await page.getByLabel("Scope").selectOption("study");
  await eventually(async () => {
    const query = new URL(page.url()).searchParams;
    assert.equal(query.get("outcome"), "success");
    assert.equal(query.get("scope"), "study");
    assert.equal(query.get("studyUid"), study.studyInstanceUID);
  });

  const since = new Date(`${today()}T00:00:00`);
  const until = new Date(since);
  until.setDate(until.getDate() + 1);
  const expected = await apiJson(
    admin,
    `/api/audit?limit=50&since=${since.toISOString()}&until=${until.toISOString()}&user=${users.northAdmin.username}` +
      `&outcome=success&scope=study&patientId=${encodeURIComponent(study.patientID)}&studyUid=${study.studyInstanceUID}`,
  );
  assert.ok(expected.total >= 1);
  const shows = async (target) => {
    const table = target.getByRole("table", { name: "Audit log" });
    await eventually(async () => {
      const ids = await table.locator("tbody tr").evaluateAll((rows) => rows.map((r) => Number(r.dataset.recordId)));
      assert.deepEqual(ids, expected.records.map((r) => r.id));
    });
    assert.ok((await table.locator("tbody tr").allInnerTexts()).every((text) => text.includes("Study") && text.includes("Success")));
  };
  await shows(page);

  await page.reload();
  await shows(page);
  for (const [label, value] of Object.entries(filters)) assert.equal(await page.getByLabel(label, { exact: true }).inputValue(), value);
  assert.equal(await page.getByLabel("Outcome").inputValue(), "success");
  assert.equal(await page.getByLabel("Scope").inputValue(), "study");

  // The same URL in a phone's browser: the same records, and nothing wider than the screen.
  const shared = page.url();
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, baseURL: baseUrl() });
  const phone = await context.newPage();
  await phone.goto("/");
  await logIn(phone, users.northAdmin);
  await phone.goto(shared);
  await shows(phone);
  assert.equal(await phone.getByLabel("Scope").inputValue(), "study");
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no horizontal scrolling of the page");
  // Each record is a card: its target, outcome and duration are on the screen, not scrolled off it.
  const card = phone.getByRole("table", { name: "Audit log" }).locator("tbody tr").first();
  for (const column of [4, 5, 8]) {
    const box = await card.locator(`td:nth-child(${column})`).boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `column ${column} of the record lies within the screen`);
  }
  await screenshot(phone, "10-phone-audit-filtered");
  await context.close();
  await page.context().close();
});

/** The rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function csvRows(text) {
  const rows = [];
  let field = "";
  let fields = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 1);
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") fields.push(field), (field = "");
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i += 1;
      fields.push(field);
      rows.push(fields);
      (field = ""), (fields = []);
    } else field += c;
  }
  if (field || fields.length) rows.push([...fields, field]);
  return rows;
}

const byNumber = (a, b) => a - b;

async function downloadExport(page, button) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: button }).click()]);
  assert.equal(await download.failure(), null);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "pacsport-audit-")), download.suggestedFilename());
  await download.saveAs(file);
  return { name: download.suggestedFilename(), text: readFileSync(file, "utf8") };
}

test("Export CSV and Export JSON lines download every record of the current filter", async () => {
  const page = await openAudit();
  await page.getByLabel("User", { exact: true }).fill(users.northAdmin.username);
  await page.getByLabel("Outcome").selectOption("success");
  await eventually(async () => assert.equal(new URL(page.url()).searchParams.get("user"), users.northAdmin.username));
  const expected = await apiJson(admin, `/api/audit?limit=1000&user=${users.northAdmin.username}&outcome=success`);
  const all = await apiJson(admin, "/api/audit?limit=1");
  assert.ok(expected.total >= 2 && expected.total < all.total, "the filter keeps some records and leaves others");

  const csv = await downloadExport(page, "Export CSV");
  assert.match(csv.name, /\.csv$/);
  const [header, ...rows] = csvRows(csv.text);
  for (const column of ["id", "startedAt", "username", "outcome", "scope", "targetLabel"]) {
    assert.ok(header.includes(column), `the CSV's header names ${column}: ${header.join()}`);
  }
  const column = (name) => rows.map((r) => r[header.indexOf(name)]);
  assert.deepEqual(column("id").map(Number).sort(byNumber), expected.records.map((r) => r.id).sort(byNumber));
  assert.ok(column("username").every((u) => u === users.northAdmin.username));
  assert.ok(column("outcome").every((o) => o === "success"));
  const studyRow = rows.find((r) => Number(r[header.indexOf("id")]) === studyRecord.id);
  assert.equal(studyRow[header.indexOf("targetLabel")], studyRecord.targetLabel);

  const jsonl = await downloadExport(page, "Export JSON lines");
  assert.match(jsonl.name, /\.jsonl$/);
  const records = jsonl.text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
  assert.deepEqual(records.map((r) => r.id).sort(byNumber), expected.records.map((r) => r.id).sort(byNumber));
  assert.equal(records.find((r) => r.id === studyRecord.id).targetLabel, studyRecord.targetLabel);
  await page.context().close();
});
