// The Destinations page (admins): an e-mail and an S3 destination created through the
// form, their secrets never shown or returned (only "set"), an edit that leaves an empty
// secret as it was, a 400 shown next to the field it names, the Test button reporting an
// unreachable endpoint (a closed local port) with the server's message, and Delete
// after confirmation. A user sees no admin pages and gets 403 from the admin API.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { api, apiJson, apiToken, users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";
import { closedPort, destinationNamed } from "../lib/delivery.mjs";
import { eventually } from "../lib/eventually.mjs";

let browser;
let page;
let admin;
const run = randomBytes(3).toString("hex");
const mailName = `E2E mail ${run}`;
const s3Name = `E2E S3 ${run}`;
const password = `pw-${randomBytes(8).toString("hex")}`;
const secretKey = `sk-${randomBytes(12).toString("hex")}`;
let port;

before(async () => {
  admin = await apiToken(users.northAdmin);
  port = await closedPort();
  browser = await launch();
  page = await openApp(browser);
  await logIn(page, users.northAdmin);
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Destinations" }).click();
  await page.getByRole("heading", { name: "Destinations", level: 1 }).waitFor();
});
after(async () => browser?.close());

const card = (name) => page.getByRole("list", { name: "Destinations" }).getByRole("article", { name, exact: true });
const newDialog = () => page.getByRole("dialog", { name: "New destination" });

test("an admin creates an e-mail destination whose password is never echoed", async () => {
  await page.getByRole("button", { name: "New destination" }).click();
  const dialog = newDialog();
  await dialog.getByLabel(/^Name/).fill(mailName);
  await dialog.getByLabel("Kind").selectOption("email");
  await dialog.getByLabel(/^SMTP server/).fill(`smtp://127.0.0.1:${port}`);
  await dialog.getByLabel(/^From/).fill("pacsport@north.example");
  await dialog.getByLabel(/^To/).fill("radiology@north.example\nbackup@north.example");
  await dialog.getByLabel(/^SMTP user name/).fill("pacsport");
  const secretField = dialog.getByLabel(/^SMTP password/);
  await secretField.fill(password);
  assert.equal(await secretField.getAttribute("type"), "password");
  assert.equal(await dialog.locator('[data-secret="password"]').innerText(), "not set");
  await screenshot(page, "11-destination-new-email");
  await dialog.getByRole("button", { name: "Create destination" }).click();
  await dialog.waitFor({ state: "detached" });

  // The API stores the settings and names the secret, never its value.
  const created = await destinationNamed(admin, mailName);
  assert.ok(created, "the destination exists");
  assert.equal(created.kind, "email");
  assert.deepEqual(created.settings.to, ["radiology@north.example", "backup@north.example"]);
  assert.deepEqual(created.secrets, ["password"]);
  const raw = await api(admin, `/api/destinations/${created.id}`);
  assert.ok(!JSON.stringify(raw.body).includes(password));

  const shown = card(mailName);
  await shown.waitFor();
  assert.equal(await shown.locator('[data-secret="password"]').innerText(), "set");
  assert.ok(!(await page.content()).includes(password), "the page holds no secret");

  // Edit: the secret field starts empty, says "set"; saved empty, the secret stays.
  await shown.getByRole("button", { name: `Edit ${mailName}` }).click();
  const edit = page.getByRole("dialog", { name: `Edit destination ${mailName}` });
  assert.equal(await edit.getByLabel(/^SMTP password/).inputValue(), "");
  assert.equal(await edit.locator('[data-secret="password"]').innerText(), "set");
  assert.equal(await edit.getByLabel(/^To/).inputValue(), "radiology@north.example\nbackup@north.example");
  await edit.getByLabel(/^Subject/).fill("Your export is ready");
  await screenshot(page, "11-destination-edit");
  await edit.getByRole("button", { name: "Save" }).click();
  await edit.waitFor({ state: "detached" });
  const edited = await apiJson(admin, `/api/destinations/${created.id}`);
  assert.equal(edited.settings.subject, "Your export is ready");
  assert.deepEqual(edited.secrets, ["password"]);
});

test("an S3 destination: a 400 shows next to its field; the secret key is never echoed", async () => {
  await page.getByRole("button", { name: "New destination" }).click();
  const dialog = newDialog();
  await dialog.getByLabel(/^Name/).fill(s3Name);
  await dialog.getByLabel("Kind").selectOption("s3");
  await dialog.getByLabel(/^Endpoint/).fill(`http://127.0.0.1:${port}`);
  await dialog.getByLabel(/^Region/).fill("us-east-1");
  await dialog.getByLabel(/^Addressing/).selectOption("path");
  await dialog.getByLabel(/^Access key ID/).fill("AKIAE2ETEST");
  await dialog.getByLabel(/^Secret access key/).fill(secretKey);
  // No bucket: the server answers 400 naming it, shown at the Bucket field.
  await dialog.getByRole("button", { name: "Create destination" }).click();
  const bucket = dialog.getByLabel(/^Bucket/);
  await eventually(async () => assert.equal(await bucket.getAttribute("aria-invalid"), "true"));
  const message = await dialog.locator(".field-invalid .field-error").innerText();
  assert.match(message, /bucket/i);
  assert.match(await dialog.getByRole("alert").filter({ hasText: message }).first().innerText(), /bucket/i);
  await screenshot(page, "11-destination-field-error");

  await bucket.fill("e2e-bucket");
  await dialog.getByRole("button", { name: "Create destination" }).click();
  await dialog.waitFor({ state: "detached" });
  const created = await destinationNamed(admin, s3Name);
  assert.equal(created.settings.bucket, "e2e-bucket");
  assert.deepEqual(created.secrets, ["secretAccessKey"]);
  assert.ok(!JSON.stringify(await apiJson(admin, "/api/destinations")).includes(secretKey));
  const shown = card(s3Name);
  assert.equal(await shown.locator('[data-secret="secretAccessKey"]').innerText(), "set");
  assert.equal(await shown.locator('[data-secret="sessionToken"]').innerText(), "not set");
  await screenshot(page, "11-destinations");
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, "11-destinations-phone");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page fits the phone's width (${width} px)`);
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("Test shows the failure of an unreachable endpoint with the server's message", async () => {
  const shown = card(s3Name);
  await shown.getByRole("button", { name: `Test ${s3Name}` }).click();
  const result = shown.locator(".test-result");
  await result.waitFor({ timeout: 30_000 });
  const text = await result.innerText();
  assert.match(text, /^Test failed: /);
  const { id } = await destinationNamed(admin, s3Name);
  const answer = await apiJson(admin, `/api/destinations/${id}/test`, { method: "POST" });
  assert.equal(answer.ok, false);
  assert.equal(text, `Test failed: ${answer.error.message}`);
  await screenshot(page, "11-destination-test-failed");
});

test("Delete asks first, then removes the destination", async () => {
  const { id } = await destinationNamed(admin, s3Name);
  await card(s3Name).getByRole("button", { name: `Delete ${s3Name}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete destination ${s3Name}?` });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "detached" });
  assert.equal((await api(admin, `/api/destinations/${id}`)).status, 200);
  await card(s3Name).getByRole("button", { name: `Delete ${s3Name}` }).click();
  await confirm.getByRole("button", { name: "Delete", exact: true }).click();
  await card(s3Name).waitFor({ state: "detached" });
  assert.equal((await api(admin, `/api/destinations/${id}`)).status, 404);
});

test("a user sees no admin pages and gets 403 from the admin API", async () => {
  const userPage = await openApp(browser);
  await logIn(userPage, users.northUser);
  const nav = userPage.getByRole("navigation", { name: "Views" });
  for (const name of ["Destinations", "Schedules", "Audit log"]) assert.equal(await nav.getByRole("link", { name }).count(), 0);
  for (const path of ["/destinations", "/schedules"]) {
    await userPage.goto(path);
    await userPage.getByRole("heading", { name: "Patients", level: 1 }).waitFor();
  }
  await userPage.context().close();

  const user = await apiToken(users.northUser);
  const { id } = await destinationNamed(admin, mailName);
  // Every user may list the destinations (the Export dialog's "Send to…"), with no secret.
  const listed = await apiJson(user, "/api/destinations");
  assert.ok(listed.items.some((d) => d.id === id));
  assert.ok(!JSON.stringify(listed).includes(password));
  const body = { name: "not allowed", kind: "email", settings: { url: `smtp://127.0.0.1:${port}`, from: "a@b.example", to: ["c@d.example"] }, secrets: {} };
  assert.equal((await api(user, "/api/destinations", { method: "POST", body })).status, 403);
  assert.equal((await api(user, `/api/destinations/${id}`, { method: "PUT", body: { name: "renamed" } })).status, 403);
  assert.equal((await api(user, `/api/destinations/${id}/test`, { method: "POST" })).status, 403);
  assert.equal((await api(user, `/api/destinations/${id}`, { method: "DELETE" })).status, 403);
  assert.equal((await apiJson(admin, `/api/destinations/${id}`)).name, mailName);
});
