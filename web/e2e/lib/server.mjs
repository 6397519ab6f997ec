// Starts a pacsport demo server for the browser tests: a fresh data directory seeded by
// scripts/seed-demo.sh (two hospitals, the pydicom corpus), `serve --demo` on a free
// loopback port, serving web/dist. Resolves once the server logs event=listening.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const corpus = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

/**
 * env: extra environment of the server (its PACSPORT_* settings); config: the text of a
 * TOML configuration file for it (`serve --config`); imports: more DICOM files for a
 * hospital after the demo data ([{hospital, files}], `pacsport import`).
 */
export async function startPacsport({ bin, linkSeconds, env = {}, config, imports = [] }) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "pacsport-e2e-"));
  execFileSync("bash", [path.join(repo, "scripts/seed-demo.sh"), bin, dataDir, corpus], { stdio: ["ignore", "ignore", "pipe"] });
  for (const { hospital, files } of imports) {
    execFileSync(bin, ["import", "--data", dataDir, "--hospital", hospital, ...files], { stdio: ["ignore", "ignore", "pipe"] });
  }
  const args = ["serve", "--data", dataDir, "--demo", "--listen", "127.0.0.1:0"];
  if (config !== undefined) {
    const file = path.join(dataDir, "e2e-config.toml");
    writeFileSync(file, config);
    args.push("--config", file);
  }
  const child = spawn(bin, args, {
    cwd: repo,
    env: {
      ...process.env,
      PACSPORT_WEB_ROOT: path.join(repo, "web/dist"),
      PACSPORT_DOWNLOAD_LINK_SECONDS: String(linkSeconds),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pacsport did not start in 30 s:\n${log}`)), 30_000);
    const onData = (chunk) => {
      log += chunk;
      const match = /event=listening url=(\S+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => (log += chunk));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`pacsport exited with ${code} before listening:\n${log}`));
    });
  });
  child.removeAllListeners("exit");
  child.stdout.resume();
  return {
    url,
    /** The server's data directory (its store under store/), for tests that damage it. */
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
