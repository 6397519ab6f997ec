// Push to another PACS in the browser: an admin creates a "dicom" destination through the
// form (AE title, host, port, calling AE title, TLS), exports the first study as a job
// sent to a real storescp that the test starts, and the Jobs page shows it delivered
// with the push's counts; storescp holds every instance of the study.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { apiToken, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { destinationNamed, sendFirstStudyTo, startStorescp } from "../lib/delivery.mjs";
import { finishedJob } from "../lib/jobs.mjs";

let browser;
let page;
let admin;
let peer;
const name = `E2E PACS ${randomBytes(3).toString("hex")}`;

before(async () => {
  admin = await apiToken(users.northAdmin);
  peer = await startStorescp();
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northAdmin);
});
after(async () => {
  await browser?.close();
  peer?.stop();
});

test("a study pushed to storescp is shown delivered with what was sent", async () => {
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Destinations" }).click();
  await page.getByRole("button", { name: "New destination" }).click();
  const dialog = page.getByRole("dialog", { name: "New destination" });
  await dialog.getByLabel(/^Name/).fill(name);
  await dialog.getByLabel("Kind").selectOption("dicom");
  await dialog.getByLabel(/^AE title/).fill(peer.aeTitle);
  await dialog.getByLabel(/^Host/).fill("127.0.0.1");
  await dialog.getByLabel(/^Port/).fill(String(peer.port));
  await dialog.getByLabel(/^Calling AE title/).fill("PACSPORT_E2E");
  await dialog.getByLabel(/^TLS/).selectOption("false");
  await screenshot(page, "14-destination-new-dicom");
  await dialog.getByRole("button", { name: "Create destination" }).click();
  await dialog.waitFor({ state: "detached" });
  const destination = await destinationNamed(admin, name);
  assert.deepEqual(destination.settings, {
    aeTitle: peer.aeTitle,
    host: "127.0.0.1",
    port: peer.port,
    callingAeTitle: "PACSPORT_E2E",
    tls: false,
  });
  const card = page.getByRole("list", { name: "Destinations" }).getByRole("article", { name, exact: true });
  await card.getByRole("button", { name: `Test ${name}` }).click();
  await card.getByText(/^Test passed/).waitFor({ timeout: 20_000 });

  const job = await sendFirstStudyTo(page, admin, destination);
  const pushed = await finishedJob(admin, job.id);
  assert.equal(pushed.state, "delivered", `the job ended ${pushed.state}: ${pushed.error}`);
  const total = pushed.progress.instancesTotal;
  assert.ok(total > 0);
  assert.equal(pushed.deliveredTo.sent, total);
  assert.equal(peer.files().length, total, "storescp holds every instance of the study");
  const jobCard = page.locator(`article[data-job-id="${job.id}"]`);
  await jobCard.getByRole("status").getByText("Delivered").waitFor({ timeout: 10_000 });
  assert.equal(await jobCard.locator('[data-key="deliveredTo"]').innerText(), `${peer.aeTitle} at 127.0.0.1:${peer.port}`);
  assert.equal(
    await jobCard.locator('[data-key="pushReport"]').innerText(),
    `${total} sent · 0 already present · 0 refused · 0 transcoded`,
  );
  assert.equal(await jobCard.getByRole("button", { name: /^Download / }).count(), 0, "a push leaves no archive");
  assert.match(await jobCard.locator(".job-meta").innerText(), /DICOM instances/);
  await screenshot(page, "14-job-pushed");
});
