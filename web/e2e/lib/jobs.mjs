// Export jobs through the REST API, for the browser tests: create one, wait for its
// final state, and the SHA-256 of a file or of bytes (to compare with archive.sha256).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { apiJson } from "./api.mjs";
import { eventually } from "./eventually.mjs";

export const finalStates = ["done", "delivered", "failed", "cancelled"];

export async function createJob(token, { scope, ids = [], includeImages = true, previews = includeImages, format = "zip", compression = 6 }) {
  return apiJson(token, "/api/export/jobs", { method: "POST", body: { scope, ids, includeImages, previews, format, compression } });
}

export async function job(token, id) {
  return apiJson(token, `/api/export/jobs/${encodeURIComponent(id)}`);
}

/** The job once it has reached a final state (within timeout ms). */
export async function finishedJob(token, id, timeout = 60_000) {
  return eventually(
    async () => {
      const current = await job(token, id);
      if (!finalStates.includes(current.state)) throw new Error(`job ${id} is still ${current.state}`);
      return current;
    },
    { timeout, interval: 200 },
  );
}

export const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");
export const fileSha256 = (file) => sha256(readFileSync(file));
