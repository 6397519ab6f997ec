// Issue 15 items 16 and 9 (focus ring): the theme follows the system's colour scheme; the
// header's Theme choice (system, light, dark) overrides it and survives a reload; every
// colour is a custom property; the keyboard focus ring has at least 3:1 contrast against
// what surrounds it (WCAG 1.4.11) in both themes.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { users } from "../lib/api.mjs";
import { launch, logIn, openApp, screenshot } from "../lib/browser.mjs";

let browser;
before(async () => (browser = await launch()));
after(async () => browser?.close());

/** The relative luminance (WCAG) of the page's background colour. */
const backgroundLuminance = (page) =>
  page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.documentElement).backgroundColor.match(/[\d.]+/g).map(Number);
    const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
  });

const isDark = async (page) => (await backgroundLuminance(page)) < 0.05;

test("the theme follows the system; the header's choice overrides it and survives a reload", async () => {
  const page = await openApp(browser, { colorScheme: "dark" });
  await page.getByRole("heading", { name: "Log in" }).waitFor();
  assert.equal(await isDark(page), true, "a dark system gives a dark login page");
  await logIn(page, users.northUser);
  const theme = page.getByRole("banner").getByLabel("Theme");
  assert.equal(await theme.inputValue(), "system");
  assert.equal(await isDark(page), true);
  await screenshot(page, "21-dark-system");

  await theme.selectOption("light");
  assert.equal(await isDark(page), false, "Light overrides a dark system");
  await page.reload();
  await page.getByRole("list", { name: "Patients" }).waitFor();
  assert.equal(await theme.inputValue(), "light");
  assert.equal(await isDark(page), false, "the choice survives a reload");

  await page.emulateMedia({ colorScheme: "light" });
  await theme.selectOption("dark");
  assert.equal(await isDark(page), true, "Dark overrides a light system");
  await theme.selectOption("system");
  assert.equal(await isDark(page), false, "System follows the system again");
  await page.emulateMedia({ colorScheme: "dark" });
  assert.equal(await isDark(page), true);
  await page.context().close();
});

test("every colour of the style sheet is a custom property of the theme", () => {
  const css = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/styles.css"), "utf8").replace(/\/\*[\s\S]*?\*\//g, "");
  const literals = css
    .split("\n")
    .filter((line) => !/^\s*--[\w-]+:/.test(line))
    .filter((line) => /#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|[\s:,(](white|black)[\s;,)]/i.test(line));
  assert.deepEqual(literals, []);
});

for (const scheme of ["light", "dark"]) {
  test(`the focus ring has at least 3:1 contrast against its surroundings (${scheme})`, async () => {
    const page = await openApp(browser, { colorScheme: scheme });
    await logIn(page, users.northUser);
    await page.getByRole("list", { name: "Patients" }).waitFor();
    // Keyboard focus (the ring shows for :focus-visible) on a top-bar button and a card's.
    await page.getByRole("button", { name: "Log out" }).focus();
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Tab");
    const ratios = [];
    for (const target of [page.getByRole("button", { name: "Log out" }), page.getByRole("button", { name: /^Export Data of/ }).first()]) {
      await target.focus();
      ratios.push(
        await target.evaluate((element) => {
          const rgb = (text) => text.match(/[\d.]+/g).slice(0, 3).map(Number);
          const luminance = ([r, g, b]) => {
            const linear = (c) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
            return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
          };
          const contrast = (a, b) => {
            const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
            return (hi + 0.05) / (lo + 0.05);
          };
          const shadow = getComputedStyle(element).boxShadow;
          const colours = shadow.match(/rgba?\([^)]*\)/g) ?? [];
          const alpha = (text) => Number(text.match(/[\d.]+/g)[3] ?? 1);
          const ring = colours.at(-1);
          if (!ring || alpha(ring) < 1) return { shadow, ratio: 0 };
          // What the ring lies on: the nearest ancestor with an opaque background.
          let around = element.parentElement;
          while (around && alpha(getComputedStyle(around).backgroundColor) === 0) around = around.parentElement;
          const behind = getComputedStyle(around ?? document.documentElement).backgroundColor;
          return { shadow, behind, ratio: contrast(rgb(ring), rgb(behind)) };
        }),
      );
    }
    for (const { shadow, behind, ratio } of ratios) assert.ok(ratio >= 3, `focus ring ${shadow} on ${behind}: ${ratio.toFixed(2)}:1`);
    await screenshot(page, `21-focus-${scheme}`);
    await page.context().close();
  });
}
