// Delivery for the browser tests: destinations made through the REST API, a loopback
// port nothing listens on (a destination that cannot be reached), a moto_server (S3
// emulator, from the machine's Python) for a delivery that succeeds, DCMTK's storescp
// (a PACS taking C-STORE), and the Export dialog's "Send to…".
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiJson } from "./api.mjs";
import { screenshot } from "./browser.mjs";
import { eventually } from "./eventually.mjs";

/**
 * In `page`, selects the hospital's first study and exports it as a job sent to
 * `destination`; the job, as `token` (the page's user) sees it.
 */
export async function sendFirstStudyTo(page, token, destination) {
  await page.getByRole("navigation", { name: "Views" }).getByRole("link", { name: "Studies" }).click();
  const table = page.getByRole("table", { name: "Studies" });
  const first = table.locator("tbody tr").first();
  await first.waitFor();
  const uid = await first.getAttribute("data-uid");
  // Checked (once more): the selection outlives the Export dialog.
  await first.getByRole("checkbox").check();
  const before = (await apiJson(token, "/api/export/jobs?limit=5")).jobs.map((j) => j.id);
  await page.getByRole("region", { name: "Selection" }).getByRole("button", { name: "Export selected" }).click();
  const dialog = page.getByRole("dialog", { name: "Export", exact: true });
  const sendTo = dialog.getByLabel("Send to…");
  await sendTo.waitFor();
  const choices = await sendTo.locator("option").allInnerTexts();
  assert.ok(choices.includes(destination.name), `"Send to…" offers ${destination.name}`);
  await sendTo.selectOption({ label: destination.name });
  await screenshot(page, `send-to-${destination.kind}`);
  await dialog.getByRole("button", { name: "Start export job" }).click();
  await page.waitForURL("**/jobs");
  const created = await eventually(async () => {
    const { jobs } = await apiJson(token, "/api/export/jobs?limit=5");
    assert.ok(jobs.length > 0 && !before.includes(jobs[0].id), "a new job exists");
    return jobs[0];
  });
  assert.deepEqual(created.ids, [uid]);
  assert.equal(created.destination, destination.id);
  return created;
}

/**
 * Starts DCMTK's storescp (AE title STORESCP, every transfer syntax it supports, files
 * written as received) on a free loopback port; resolves to {port, aeTitle, files(), stop}.
 */
export async function startStorescp() {
  const port = await closedPort();
  const directory = mkdtempSync(join(tmpdir(), "pacsport-e2e-storescp-"));
  const child = spawn("storescp", ["+B", "+xa", "-aet", "STORESCP", "-od", directory, String(port)], { stdio: "ignore" });
  await eventually(
    () =>
      new Promise((resolve, reject) => {
        const socket = connect(port, "127.0.0.1", () => {
          socket.end();
          resolve();
        });
        socket.on("error", reject);
      }),
    { timeout: 10_000, interval: 100 },
  );
  return {
    port,
    aeTitle: "STORESCP",
    files: () => readdirSync(directory),
    stop: () => child.kill(),
  };
}

export async function createDestination(token, { name, kind, settings, secrets = {} }) {
  return apiJson(token, "/api/destinations", { method: "POST", body: { name, kind, settings, secrets } });
}

export async function destinationNamed(token, name) {
  return (await apiJson(token, "/api/destinations")).items.find((d) => d.name === name);
}

/** A loopback port that was free a moment ago and that nothing listens on now. */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** True when moto_server can be started here (scripts/install-deps.sh installs moto). */
export function motoAvailable() {
  try {
    execFileSync("sh", ["-c", "command -v moto_server"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts moto_server on a free loopback port with `bucket` created (it accepts any
 * credentials); resolves to {url, stop, objects()} where objects() lists the bucket's keys.
 */
export async function startMoto(bucket) {
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`moto_server did not start in 20 s:\n${log}`)), 20_000);
    const onData = (chunk) => {
      log += chunk;
      const match = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => reject(new Error(`moto_server exited with ${code}:\n${log}`)));
  });
  child.removeAllListeners("exit");
  const created = await fetch(`${url}/${bucket}`, { method: "PUT" });
  if (!created.ok) throw new Error(`creating bucket ${bucket}: ${created.status}`);
  return {
    url,
    async objects() {
      const listing = await (await fetch(`${url}/${bucket}?list-type=2`)).text();
      return [...listing.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]);
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}
