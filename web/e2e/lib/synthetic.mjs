// Synthetic DICOM for tests that need a job to take a while: bench/generate_ct.py's
// 512x512 CT slices (Debian's python3 with pydicom and numpy), one patient.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** Writes `slices` CT slices of patient `patientID`; returns their folder and files. */
export function syntheticCt(patientID, slices) {
  const dir = mkdtempSync(path.join(tmpdir(), "pacsport-e2e-ct-"));
  execFileSync("/usr/bin/python3", [path.join(repo, "bench/generate_ct.py"), dir, String(slices), "--patient-id", patientID], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const study = readdirSync(dir).find((name) => name.startsWith("study_"));
  return { dir, files: readdirSync(path.join(dir, study)).map((name) => path.join(dir, study, name)) };
}
