// Delivery for the browser tests: destinations made through the REST API, a loopback
// port nothing listens on (a destination that cannot be reached), and a moto_server
// (S3 emulator, from the machine's Python) for a delivery that succeeds.
import { spawn, execFileSync } from "node:child_process";
import { createServer } from "node:net";
import { apiJson } from "./api.mjs";

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
