// Debian's Chromium driven by playwright-core, headless, as the machine allows it: no
// sandbox as root, no background networking (there is no internet to reach).
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { baseUrl } from "./api.mjs";

export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../artifacts");
mkdirSync(artifacts, { recursive: true });

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A fresh context (no storage, downloads accepted) and its page, at the app's root. */
export async function openApp(browser) {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, baseURL: baseUrl() });
  const page = await context.newPage();
  await page.goto("/");
  return page;
}

export async function logIn(page, user) {
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(artifacts, `${name}.png`) });
}

/** Clicks the dialog's "Export Data" and saves the download; returns its path and name. */
export async function exportAndDownload(dialog) {
  const page = dialog.page();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    dialog.getByRole("button", { name: "Export Data", exact: true }).click(),
  ]);
  const failure = await download.failure();
  if (failure) throw new Error(`download failed: ${failure}`);
  const file = path.join(mkdtempSync(path.join(tmpdir(), "pacsport-dl-")), download.suggestedFilename());
  await download.saveAs(file);
  return { file, name: download.suggestedFilename() };
}

/** The Export dialog, once its estimate has loaded. */
export async function exportDialog(page) {
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  await dialog.locator('dd[data-key="studies"][data-value]').waitFor();
  return dialog;
}

/** The estimate numbers the Export dialog shows, as the API's field names. */
export async function shownEstimate(dialog) {
  const values = {};
  for (const key of ["studies", "instances", "dicomBytes", "estimatedBytes"]) {
    values[key] = Number(await dialog.locator(`dd[data-key="${key}"]`).getAttribute("data-value"));
  }
  return values;
}
