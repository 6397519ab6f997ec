// The entry names of a ZIP file, as Info-ZIP's unzip lists them.
import { execFileSync } from "node:child_process";

export function zipEntries(file) {
  return execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).split("\n").filter(Boolean).sort();
}

export function zipText(file, entry) {
  return execFileSync("unzip", ["-p", file, entry], { encoding: "utf8", maxBuffer: 64 << 20 });
}

/**
 * The entries an export ZIP must hold according to its own metadata document (each
 * instance's `file` and `previews`), the document itself, the checksum manifest and
 * the signed receipt.
 */
export function expectedEntries(metadata, documentName) {
  const entries = [documentName, "checksums.sha256", "receipt.json"];
  for (const instance of metadata.instances) {
    if (instance.file) entries.push(instance.file);
    entries.push(...instance.previews);
  }
  return entries.sort();
}
