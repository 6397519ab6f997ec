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

/** The window sizes the UI is tested at: a desktop, and a phone (narrow layout, header menu). */
export const sizes = {
  wide: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
  // A 1280x800 window at 200 % zoom: half as many CSS pixels, each drawn twice.
  zoom200: { width: 640, height: 400 },
};

/**
 * A fresh context (no storage, downloads accepted) and its page, at the app's root.
 * viewport: one of `sizes` (default wide); colorScheme: the system's "light" or "dark".
 */
export async function openApp(browser, { viewport = sizes.wide, colorScheme = "light" } = {}) {
  const deviceScaleFactor = viewport === sizes.zoom200 ? 2 : 1;
  const context = await browser.newContext({ acceptDownloads: true, viewport, deviceScaleFactor, colorScheme, baseURL: baseUrl() });
  const page = await context.newPage();
  await page.goto("/");
  return page;
}

/** Logs in and waits for the workspace (its header names the user, at any size). */
export async function logIn(page, user) {
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("banner").getByText(user.username, { exact: true }).waitFor({ state: "attached" });
}

/** Opens the header's menu when the window is narrow (a "Menu" button is shown); else nothing. */
export async function openMenu(page) {
  const button = page.getByRole("banner").getByRole("button", { name: "Menu" });
  if ((await button.isVisible()) && (await button.getAttribute("aria-expanded")) !== "true") await button.click();
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
