// How an audit record is named in the audit table and its detail view.
import type { AuditOutcome, AuditRecord, AuditScope } from "../api";

export const outcomeNames: Record<AuditOutcome, string> = {
  in_progress: "In progress",
  success: "Success",
  denied: "Denied",
  failed: "Failed",
  aborted: "Aborted",
  over_capacity: "Server busy",
};

export const scopeNames: Record<AuditScope, string> = {
  study: "Study",
  series: "Series",
  patient: "Patient",
  all: "All patients",
  studies: "Studies (batch)",
  patients: "Patients (batch)",
};

/** The scope in words; "" when the record has none. */
export function scopeText(record: AuditRecord): string {
  return record.scope ? scopeNames[record.scope] : "";
}

/**
 * What the record exported, readably: the server's label ("CT CHEST 20240102 · DOE^JANE
 * (PID-1)"), or for an attempt refused before planning (no label) the requested target.
 */
export function auditTarget(record: AuditRecord): string {
  if (record.targetLabel) return record.targetLabel;
  if (record.scope === "all") return "whole hospital";
  return record.target || "(no ID)";
}

/** The export's options in words: "ZIP, with images". */
export function parameterText(parameters: Record<string, unknown>): string {
  const parts: string[] = [];
  if (parameters.format) parts.push(String(parameters.format).toUpperCase());
  if (parameters.includeImages !== undefined) parts.push(parameters.includeImages ? "with images" : "metadata only");
  return parts.join(", ");
}

/**
 * How the export was asked for, from the record's endpoint ("GET /api/downloads/:token"
 * is a browser's download through a single-use link); "" for an endpoint not named here.
 */
export function channelText(endpoint: string): string {
  if (endpoint.includes("/api/downloads/")) return "Browser download";
  if (endpoint.includes("/api/deliveries/")) return "E-mailed link";
  if (endpoint.includes("/api/export/jobs")) return "Export job";
  if (endpoint.startsWith("GET /api/export/")) return "API export";
  return "";
}

export function durationText(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
