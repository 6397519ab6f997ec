// "Send to…" in the Export dialog and delivery on the Jobs page, against the real
// server: a user selects a study, exports it as a job sent to a destination, and the Jobs
// page shows the delivery (bytes sent of the archive's size), then its end: failed with
// the server's message for a destination on a closed local port, delivered with the
// bucket and key for an S3 emulator (moto_server) that the test starts.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { apiJson, apiToken, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { closedPort, createDestination, motoAvailable, sendFirstStudyTo, startMoto } from "../lib/delivery.mjs";
import { finishedJob } from "../lib/jobs.mjs";

let browser;
let page;
let admin;
let user;
let moto = null;
const run = randomBytes(3).toString("hex");
const bucket = `e2e-${run}`;

const s3Settings = (endpoint) => ({ endpoint, region: "us-east-1", bucket, prefix: "exports/", addressing: "path", accessKeyId: "AKIAE2ETEST" });

before(async () => {
  admin = await apiToken(users.northAdmin);
  user = await apiToken(users.northUser);
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northUser);
});
after(async () => {
  await browser?.close();
  await moto?.stop();
});

const jobCard = (id) => page.locator(`article[data-job-id="${id}"]`);

test("a job sent to an unreachable destination is seen delivering, then failed with its error", async () => {
  const destination = await createDestination(admin, {
    name: `E2E unreachable ${run}`,
    kind: "s3",
    settings: s3Settings(`http://127.0.0.1:${await closedPort()}`),
    secrets: { secretAccessKey: "e2e-secret" },
  });
  const job = await sendFirstStudyTo(page, user, destination);
  const card = jobCard(job.id);
  await card.waitFor();
  assert.match(await card.locator(".job-meta").innerText(), new RegExp(`to ${destination.name}`));
  // The sender retries the closed port with backoff for some seconds: meanwhile the card
  // shows the delivery, its bytes sent of the archive's exact size.
  await page.locator(`article[data-job-id="${job.id}"][data-state="delivering"]`).waitFor({ timeout: 30_000 });
  const current = await apiJson(user, `/api/export/jobs/${job.id}`);
  const bytesShown = card.locator('[data-key="bytes"]');
  assert.equal(Number(await bytesShown.getAttribute("data-total")), current.archive.size);
  assert.match(await bytesShown.innerText(), / sent of /);
  assert.equal(await card.getByRole("status").innerText(), "Delivering");
  await screenshot(page, "12-job-delivering");
  const failed = await finishedJob(user, job.id);
  assert.equal(failed.state, "failed");
  assert.ok(failed.error, "the failed job says why");
  await card.getByRole("status").getByText("Failed").waitFor({ timeout: 10_000 });
  assert.equal(await card.getByRole("alert").innerText(), `Failed: ${failed.error}`);
  await screenshot(page, "12-job-delivery-failed");
});

test("a job sent to S3 (moto_server) is shown delivered with its bucket and key", async (t) => {
  if (!motoAvailable()) {
    t.skip("moto_server is not installed (scripts/install-deps.sh installs it)");
    return;
  }
  moto = await startMoto(bucket);
  const destination = await createDestination(admin, {
    name: `E2E moto ${run}`,
    kind: "s3",
    settings: s3Settings(moto.url),
    secrets: { secretAccessKey: "e2e-secret" },
  });
  const job = await sendFirstStudyTo(page, user, destination);
  const delivered = await finishedJob(user, job.id);
  assert.equal(delivered.state, "delivered", `the job ended ${delivered.state}: ${delivered.error}`);
  const card = jobCard(job.id);
  await card.getByRole("status").getByText("Delivered").waitFor({ timeout: 10_000 });
  const where = await card.locator('[data-key="deliveredTo"]').innerText();
  assert.equal(where, `s3://${delivered.deliveredTo.bucket}/${delivered.deliveredTo.key}`);
  assert.equal(delivered.deliveredTo.bucket, bucket);
  assert.deepEqual(await moto.objects(), [delivered.deliveredTo.key]);
  // Its archive stays downloadable, as a done job's.
  await card.getByRole("button", { name: /^Download / }).waitFor();
  assert.equal(await card.getByRole("progressbar").getAttribute("aria-valuenow"), "100");
  await screenshot(page, "12-job-delivered");
  await page.setViewportSize({ width: 390, height: 844 });
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, "12-job-delivered-phone");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the Jobs page fits the phone's width (${width} px)`);
  await page.setViewportSize({ width: 1280, height: 800 });
});
