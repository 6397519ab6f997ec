// Login, the header, logout, and a token the server no longer accepts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

test("a wrong password is refused with a message", async () => {
  const page = await openApp(browser);
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await screenshot(page, "01-login");
  await page.getByLabel("Username").fill("north-user");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("alert").filter({ hasText: "Invalid username or password." }).waitFor();
  await screenshot(page, "01-login-refused");
});

test("after login the hospital and the user are shown; logout returns to login, says so and forgets the session", async () => {
  const page = await openApp(browser);
  await logIn(page, users.northUser);
  const header = page.getByRole("banner");
  await header.getByText("Northside General").waitFor();
  await header.getByText("north-user").waitFor();
  assert.equal(await page.getByRole("link", { name: "Patients" }).getAttribute("aria-current"), "page");

  await page.getByRole("button", { name: "Log out" }).click();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByRole("status").filter({ hasText: "You have logged out." }).waitFor();
  assert.equal(new URL(page.url()).pathname, "/login");
  await screenshot(page, "01-logged-out");
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  await page.reload();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  assert.equal(await page.getByText("Northside General").count(), 0);
});

test("a token the server refuses (401) returns to login with a message", async () => {
  const page = await openApp(browser);
  await logIn(page, users.northUser);
  await page.getByRole("list", { name: "Patients" }).waitFor();
  // The stored session now carries a token with a forged signature.
  await page.evaluate(() => {
    const session = JSON.parse(sessionStorage.getItem("pacsport.session"));
    const [head, body] = session.token.split(".");
    sessionStorage.setItem("pacsport.session", JSON.stringify({ ...session, token: `${head}.${body}.forged` }));
  });
  await page.reload();
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  await page.getByRole("status").filter({ hasText: "Your session has expired or is no longer valid" }).waitFor();
  await screenshot(page, "01-login-expired");
  await logIn(page, users.northUser);
  await page.getByRole("list", { name: "Patients" }).waitFor();
});

test("a session reaching its expiry time returns to login with a message", async () => {
  const page = await openApp(browser);
  await logIn(page, users.northUser);
  await page.getByRole("list", { name: "Patients" }).waitFor();
  await page.evaluate(() => {
    const session = JSON.parse(sessionStorage.getItem("pacsport.session"));
    sessionStorage.setItem("pacsport.session", JSON.stringify({ ...session, expiresAt: new Date(Date.now() + 3000).toISOString() }));
  });
  await page.reload();
  await page.getByRole("list", { name: "Patients" }).waitFor();
  await page.getByRole("heading", { name: "Log in" }).waitFor({ timeout: 10_000 });
  await page.getByText("Your session has expired or is no longer valid").waitFor();
});
