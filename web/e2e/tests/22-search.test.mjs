// Searching and listing the way PACS users do (issue 15: 6, 7, 8, 10, 15, 19): names as
// displayed, the studies' filter bar (date range and presets, accession, birth date,
// several modalities with their counts, "has AI results"), sorting both ways, the state
// in the URL, the studies without a Patient ID, sizes, and the AI results popover.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { after, before, test } from "node:test";
import { apiJson, apiToken, baseUrl, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { eventually } from "../lib/eventually.mjs";

const repo = path.resolve(import.meta.dirname, "../../..");
// CT_small.dcm of the demo corpus, in both hospitals; the demo stores AI results for it.
const ctSmall = { uid: "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322", patientID: "1CT1" };

let browser;
let page;
let token;
let studies;

before(async () => {
  // The demo's AI results, stored as scripts/demo.sh stores them.
  execFileSync("bash", [path.join(repo, "scripts/seed-demo-ai.sh"), baseUrl()], { stdio: ["ignore", "ignore", "pipe"] });
  token = await apiToken(users.northUser);
  studies = (await apiJson(token, "/api/studies?limit=1000")).studies;
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => browser?.close());

const table = () => page.getByRole("table", { name: "Studies" });
const rows = () => table().locator("tbody tr");
const shownUids = () => rows().evaluateAll((trs) => trs.map((tr) => tr.dataset.uid));
const urlParams = () => new URL(page.url()).searchParams;
const goToStudies = async (query = "") => {
  await page.goto(`/studies${query}`);
  await table().or(page.getByText("No study matches these filters.")).waitFor();
};
const expectedUids = async (query) => (await apiJson(token, `/api/studies?${query}&limit=25`)).studies.map((s) => s.studyInstanceUID);

test("a name typed as displayed finds the patient: 'Doe, Peter', any order, any case or accent", async () => {
  await page.getByRole("link", { name: "Patients" }).click();
  const search = page.getByRole("searchbox", { name: "Search patients by name or ID" });
  const cards = page.getByRole("list", { name: "Patients" }).getByRole("article");
  for (const term of ["CompressedSamples, CT1", "ct1 COMPRESSEDSAMPLES", "Cömpressedsamples^ct1"]) {
    await search.fill(term);
    await eventually(async () => {
      assert.equal(urlParams().get("search"), term);
      assert.deepEqual(await cards.evaluateAll((all) => all.map((card) => card.querySelector(".mono")?.textContent)), [ctSmall.patientID]);
    });
  }
  // The patient's size is in the list.
  const patient = (await apiJson(token, `/api/patients/${ctSmall.patientID}`));
  await cards.first().getByText(/\d(\.\d+)? (KB|MB|bytes)$/).waitFor();
  assert.ok(patient.totalBytes > 0);
  await search.fill("");
  await eventually(async () => assert.equal(urlParams().get("search"), null));
});

test("studies without a Patient ID are listed apart, each exported on its own, never as one patient", async () => {
  const unidentified = studies.filter((s) => !s.patientID);
  assert.ok(unidentified.length >= 2, "the demo corpus has files without a Patient ID");
  const patients = (await apiJson(token, "/api/patients?limit=1000")).patients;
  assert.ok(patients.every((p) => p.patientID), "no patient card without a Patient ID");
  const section = page.getByRole("region", { name: "Studies without a Patient ID" });
  await section.waitFor();
  await eventually(async () =>
    assert.deepEqual(
      (await section.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.dataset.uid))).sort(),
      unidentified.map((s) => s.studyInstanceUID).sort(),
    ),
  );
  assert.equal(await section.getByRole("button", { name: /^Download study / }).count(), unidentified.length);
  assert.equal(await page.getByRole("button", { name: /Export Data of .*no patient ID/ }).count(), 0);
  await screenshot(page, "22-unidentified-studies");
  // The server refuses to export them together as "the patient without an ID".
  const response = await fetch(`${baseUrl()}/api/export/patient/`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(response.status, 400);
});

test("the date range and its presets filter studies and live in the URL", async () => {
  await goToStudies();
  const filters = page.getByRole("group", { name: "Study filters" });
  await filters.getByLabel("From").fill("2004-01-01");
  await filters.getByLabel("To").fill("2004-12-31");
  await eventually(async () => {
    assert.equal(urlParams().get("studyDateFrom"), "2004-01-01");
    assert.equal(urlParams().get("studyDateTo"), "2004-12-31");
    assert.deepEqual(await shownUids(), await expectedUids("studyDateFrom=2004-01-01&studyDateTo=2004-12-31"));
  });
  assert.ok((await shownUids()).includes(ctSmall.uid));
  assert.ok((await shownUids()).length < Math.min(25, studies.length));

  const day = (ago) => {
    const d = new Date();
    d.setDate(d.getDate() - ago);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
  };
  for (const [label, days] of [["Today", 1], ["Last 7 days", 7], ["Last 30 days", 30]]) {
    await filters.getByRole("button", { name: label }).click();
    await eventually(async () => {
      assert.equal(urlParams().get("studyDateFrom"), day(days - 1));
      assert.equal(urlParams().get("studyDateTo"), day(0));
    });
    assert.equal(await filters.getByRole("button", { name: label }).getAttribute("aria-pressed"), "true");
    assert.equal(await filters.getByLabel("From").inputValue(), day(days - 1));
  }
  await page.getByText("No study matches these filters.").waitFor(); // the demo's studies are older
  await filters.getByRole("button", { name: "Clear filters" }).click();
  await eventually(async () => assert.equal(await rows().count(), Math.min(25, studies.length)));
});

test("several modalities at once, chosen from the hospital's own modalities with their counts", async () => {
  const facet = await apiJson(token, "/api/studies/modalities");
  assert.ok(facet.length >= 3);
  const filters = page.getByRole("group", { name: "Study filters" });
  await filters.getByText(/^Modality:/).click();
  const boxes = filters.getByRole("group", { name: "Modalities" }).getByRole("checkbox");
  assert.equal(await boxes.count(), facet.length);
  for (const { modality, studies: n } of facet) await filters.getByRole("checkbox", { name: `${modality} (${n})` }).waitFor();
  const [first, second] = facet.slice(0, 2);
  await filters.getByRole("checkbox", { name: `${first.modality} (${first.studies})` }).check();
  await filters.getByRole("checkbox", { name: `${second.modality} (${second.studies})` }).check();
  const both = [first.modality, second.modality].sort().join(",");
  await eventually(async () => {
    assert.equal(urlParams().get("modality"), both);
    assert.deepEqual(await shownUids(), await expectedUids(`modality=${both}`));
  });
  const total = (await apiJson(token, `/api/studies?modality=${both}`)).total;
  assert.ok(total > first.studies || total > second.studies, "the union of both modalities");
  await screenshot(page, "22-modalities");
  await filters.getByRole("button", { name: "Clear filters" }).click();
  await eventually(async () => assert.equal(urlParams().get("modality"), null));
});

test("every sortable column sorts both ways", async () => {
  await goToStudies();
  for (const [column, first, second] of [
    ["Patient", "patient", "patient-desc"],
    ["Modality", "modality", "modality-desc"],
    ["Description", "description", "description-desc"],
    ["Date", "date-desc", "date-asc"],
  ]) {
    const header = table().locator("th", { has: page.getByRole("button", { name: column }) });
    for (const [sort, state] of [[first, first === "date-desc" ? "descending" : "ascending"], [second, second === "date-asc" ? "ascending" : "descending"]]) {
      await table().getByRole("button", { name: column }).click();
      await eventually(async () => {
        assert.equal(urlParams().get("sort"), sort);
        assert.equal(await header.getAttribute("aria-sort"), state);
        assert.deepEqual(await shownUids(), await expectedUids(`sort=${sort}`));
      });
    }
  }
});

test("search, filters, sort and page survive a reload, and Back restores the previous state", async () => {
  const query = "sort=patient-desc&modality=CT,MR&studyDateFrom=2000-01-01";
  await goToStudies(`?${query}`);
  await eventually(async () => assert.deepEqual(await shownUids(), await expectedUids(query)));
  await page.getByRole("searchbox", { name: /Search studies/ }).fill("CompressedSamples");
  await eventually(async () => assert.equal(urlParams().get("search"), "CompressedSamples"));
  const before = page.url();
  await page.reload();
  await eventually(async () => {
    assert.equal(page.url(), before);
    assert.equal(await page.getByRole("searchbox", { name: /Search studies/ }).inputValue(), "CompressedSamples");
    assert.deepEqual(await shownUids(), await expectedUids(`${query}&search=CompressedSamples`));
  });
  const header = table().locator("th", { has: page.getByRole("button", { name: "Patient" }) });
  assert.equal(await header.getAttribute("aria-sort"), "descending");
  assert.match(await page.getByRole("group", { name: "Study filters" }).getByText(/^Modality:/).innerText(), /CT, MR/);
  // A new sort is a new history entry; Back brings the previous one back.
  await table().getByRole("button", { name: "Date" }).click();
  await eventually(async () => assert.equal(urlParams().get("sort"), "date-desc"));
  await page.goBack();
  await eventually(async () => {
    assert.equal(urlParams().get("sort"), "patient-desc");
    assert.equal(await header.getAttribute("aria-sort"), "descending");
  });
  // The page lives in the URL too.
  await goToStudies();
  assert.ok(studies.length > 10, "the demo hospital has more than 10 studies");
  const pager = page.getByRole("navigation", { name: "Studies pages" });
  await pager.getByLabel("Per page").selectOption("10");
  await pager.getByRole("button", { name: "Next page" }).click();
  await eventually(async () => assert.equal(urlParams().get("offset"), "10"));
  await page.reload();
  await pager.getByText(`11–${Math.min(20, studies.length)} of ${studies.length}`).waitFor();
  assert.deepEqual(await shownUids(), (await apiJson(token, "/api/studies?offset=10&limit=10")).studies.map((s) => s.studyInstanceUID));
  assert.equal(await pager.getByLabel("Per page").inputValue(), "10");
});

test("the AI badge opens its results by keyboard, Escape closes them; 'Has AI results' filters", async () => {
  await goToStudies();
  const filters = page.getByRole("group", { name: "Study filters" });
  await filters.getByRole("checkbox", { name: "Has AI results" }).check();
  await eventually(async () => {
    assert.equal(urlParams().get("hasAi"), "true");
    assert.deepEqual(await shownUids(), await expectedUids("hasAi=true"));
  });
  assert.ok((await shownUids()).includes(ctSmall.uid));
  const row = rows().and(page.locator(`[data-uid="${ctSmall.uid}"]`));
  const badge = row.getByRole("button", { name: /^AI results by lung-nodule-detector/ });
  await badge.focus();
  await page.keyboard.press("Enter");
  const popover = page.getByRole("dialog", { name: "AI results" });
  await popover.waitFor();
  assert.equal(await badge.getAttribute("aria-expanded"), "true");
  assert.ok(await popover.evaluate((element) => element.contains(document.activeElement)), "the popover has the focus");
  await popover.getByText("Solid pulmonary nodule, right upper lobe, probability 91 %").waitFor();
  await popover.getByText("lung-nodule-detector 2.3.1, ct-triage 1.4").waitFor();
  await screenshot(page, "22-ai-popover");
  await page.keyboard.press("Escape");
  await popover.waitFor({ state: "detached" });
  assert.ok(await badge.evaluate((element) => element === document.activeElement), "the focus is back on the badge");
  assert.equal(await badge.getAttribute("aria-expanded"), "false");

  await filters.getByRole("checkbox", { name: "Has AI results" }).uncheck();
  await eventually(async () => assert.equal(urlParams().get("hasAi"), null));
});
