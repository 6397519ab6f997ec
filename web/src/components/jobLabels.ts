// Words for export jobs, shared by the Jobs page and the schedules' run history: the
// state names and where a delivered archive went.
import type { DeliveredTo, JobState } from "../api";

export const stateNames: Record<JobState, string> = {
  queued: "Queued",
  running: "Running",
  delivering: "Delivering",
  done: "Done",
  delivered: "Delivered",
  failed: "Failed",
  cancelled: "Cancelled",
};

const text = (value: unknown) => (typeof value === "string" || typeof value === "number" ? String(value) : "");

/**
 * Where the archive went, from the job's deliveredTo: "s3://bucket/key",
 * "container/blob at https://account.blob.core.windows.net", "e-mailed to a@x, b@y";
 * any other receipt as its fields.
 */
export function deliveredToText(where: DeliveredTo): string {
  if (where.kind === "dicom") return `${text(where.aeTitle)} at ${text(where.host)}:${text(where.port)}`;
  if (where.kind === "dicomweb") return text(where.url);
  const recipients = where.recipients ?? where.to;
  if (where.bucket !== undefined && where.key !== undefined) return `s3://${text(where.bucket)}/${text(where.key)}`;
  if (where.container !== undefined && where.blob !== undefined) {
    const endpoint = where.endpoint !== undefined ? ` at ${text(where.endpoint)}` : "";
    return `${text(where.container)}/${text(where.blob)}${endpoint}`;
  }
  if (Array.isArray(recipients)) return `e-mailed to ${recipients.map(text).join(", ")}`;
  return Object.entries(where)
    .filter(([key]) => key !== "kind")
    .map(([key, value]) => `${key} ${typeof value === "object" ? JSON.stringify(value) : text(value)}`)
    .join(", ");
}

/** A push's counts: "3 sent · 1 already present · 2 refused · 1 transcoded". */
export function pushReportText(where: DeliveredTo): string {
  const count = (key: string) => (typeof where[key] === "number" ? (where[key] as number) : 0);
  return [
    `${count("sent")} sent`,
    `${count("alreadyPresent")} already present`,
    `${count("refused")} refused`,
    `${count("transcoded")} transcoded`,
  ].join(" · ");
}
