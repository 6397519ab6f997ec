// `npm test`: the browser tests against a real pacsport. With PACSPORT_URL set, against
// that server (which must hold the demo data of scripts/seed-demo.sh); otherwise this
// seeds a temporary data directory, starts `pacsport serve --demo` (PACSPORT_BIN, default
// build/src/app/pacsport) on a free port serving web/dist, runs every e2e/tests/*.test.mjs
// one file at a time, and stops it. Screenshots go to e2e/artifacts/. Arguments that
// start with "-" go to `node --test`; others choose test files by the start of their
// name (`node e2e/run.mjs 11 12` runs 11-*.test.mjs and 12-*.test.mjs).
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPacsport } from "./lib/server.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const chosen = args.filter((arg) => !arg.startsWith("-"));
const tests = readdirSync(path.join(here, "tests"))
  .filter((name) => name.endsWith(".test.mjs"))
  .filter((name) => chosen.length === 0 || chosen.some((prefix) => name.startsWith(prefix)))
  .sort()
  .map((name) => path.join(here, "tests", name));

// Download links live this long on the server started here, so the expiry test waits
// only that long (an external server's links may live up to 60 s).
const linkSeconds = 4;

let server = null;
const bin = process.env.PACSPORT_BIN ?? path.resolve(here, "../../build/src/app/pacsport");
if (!process.env.PACSPORT_URL) {
  server = await startPacsport({ bin, linkSeconds });
  console.log(`pacsport (${bin}) serving ${server.url}`);
}

// PACSPORT_BIN also lets a test start a server of its own with other settings.
const env = { ...process.env, PACSPORT_BIN: bin, PACSPORT_URL: process.env.PACSPORT_URL ?? server.url };
const options = args.filter((arg) => arg.startsWith("-"));
// One `node --test` per file, in turn: the files share one server, and Node 18's runner
// (Debian 12's) has no --test-concurrency. Any failing file fails the run.
let code = 0;
for (const test of tests) {
  const child = spawn(process.execPath, ["--test", ...options, test], { env, stdio: "inherit" });
  const status = await new Promise((resolve) => child.on("exit", (exit, signal) => resolve(exit ?? (signal ? 1 : 0))));
  if (status !== 0) code = 1;
}
await server?.stop();
process.exit(code);
