// The pacsport REST API as the UI uses it: typed records, one fetch wrapper that adds the
// Bearer token and turns every failure into an ApiError, the export URLs, and the export
// jobs (created, listed, followed through their event stream, cancelled, downloaded).
//
// A 401 from any authenticated call invokes the handler set by setUnauthorizedHandler
// (the session logs out and says why); the login call itself reports 401 as an error.
import { SseParser } from "./sse";

export type Role = "admin" | "user" | "ai";

export interface User {
  username: string;
  hospital: string;
  role: Role;
}

export interface LoginAnswer {
  token: string;
  expiresAt: string;
  user: User;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}

export interface Patient {
  patientID: string;
  patientName: string;
  birthDate: string;
  sex: string;
  studyCount: number;
  latestStudyDate: string;
  /** The stored size of all the patient's instances, in bytes. */
  totalBytes: number;
}

export interface Study {
  studyInstanceUID: string;
  patientID: string;
  patientName: string;
  studyDate: string;
  studyTime: string;
  modality: string;
  studyDescription: string;
  accessionNumber: string;
  numberOfSeries: number;
  numberOfInstances: number;
  totalBytes: number;
  aiAnalysis: unknown;
  aiAnalyzedAt: string | null;
  aiModels: string[];
}

export type AuditOutcome = "in_progress" | "success" | "denied" | "failed" | "aborted" | "over_capacity";

export type AuditScope = "study" | "series" | "patient" | "all" | "studies" | "patients";

/** The record's place in the audit's hash chain, whose checkpoints the server's key signs. */
export interface AuditSeal {
  chainSeq: number;
  recordHash: string;
  prevHash: string;
  keyId: string;
  signature: string;
}

export interface AuditRecord {
  id: number;
  startedAt: string;
  username: string;
  role: string;
  hospital: string;
  clientAddress: string;
  requestId: string;
  endpoint: string;
  /** Empty when the server cannot tell (the refused use of an unknown or used download link). */
  scope: AuditScope | "";
  target: string;
  /** "CT CHEST 20240102 · DOE^JANE (PID-1)"; empty when the attempt was refused before planning. */
  targetLabel: string;
  parameters: Record<string, unknown>;
  outcome: AuditOutcome;
  detail: string;
  bytesSent: number;
  entries: number;
  instances: number;
  studyCount: number;
  contentSha256: string;
  durationMs: number;
  /** null until the record is final (in progress). */
  seal: AuditSeal | null;
}

/** A study an audit record exported. */
export interface AuditStudy {
  studyInstanceUID: string;
  patientID: string;
}

/** The audit's filters as GET /api/audit takes them (ISO times; empty: no filter). */
export interface AuditFilters {
  since: string;
  until: string;
  user: string;
  outcome: string;
  scope: string;
  patientId: string;
  studyUid: string;
}

export interface AuditPublicKey {
  algorithm: string;
  keyId: string;
  publicKey: string;
}

/**
 * What an export covers. The single scopes have a streamed route, an estimate and a
 * download link; the batch scopes (a selection of patients or studies) run as a job only.
 */
export type ExportScope =
  | { kind: "patient"; patientID: string; label: string }
  | { kind: "study"; studyUID: string; label: string }
  | { kind: "series"; seriesUID: string; label: string }
  | { kind: "all"; label: string }
  | { kind: "patients"; patientIDs: string[]; label: string }
  | { kind: "studies"; studyUIDs: string[]; label: string };

export type SingleExportScope = Extract<ExportScope, { kind: "patient" | "study" | "series" | "all" }>;

export function isBatch(scope: ExportScope): scope is Extract<ExportScope, { kind: "patients" | "studies" }> {
  return scope.kind === "patients" || scope.kind === "studies";
}

/** A de-identified export (PS3.15 basic profile) for a research project. */
export interface DeidentifyOptions {
  project: string;
  options: string[];
  includeBurnedIn: boolean;
}

/** "media": a ZIP laid out as a patient's disc (DICOMDIR, INDEX.HTM), always with images. */
export type ExportFormat = "zip" | "json" | "media";

export interface ExportOptions {
  includeImages: boolean;
  format: ExportFormat;
  deidentify?: DeidentifyOptions;
  /** A ZIP's PNG preview of every frame (the API's `previews`); the server's default: on. */
  previews?: boolean;
  /** The ZIP's deflate level 0–9 (the API's `compression`); unset: the server's default. */
  compression?: number;
}

/** Whether an export with these options holds the DICOM images. */
export function withImages(options: ExportOptions): boolean {
  return options.format === "media" || (options.format === "zip" && options.includeImages);
}

export interface ExportEstimate {
  scope: string;
  target: string;
  studies: number;
  instances: number;
  dicomBytes: number;
  frames: number;
  estimatedBytes: number;
  includeImages: boolean;
  format: string;
  /** True when the server recommends running this export as a job (its size threshold). */
  asJob?: boolean;
  /** The estimate split: the DICOM files and the PNG previews, when the server gives it. */
  estimatedDicomBytes?: number;
  estimatedPreviewBytes?: number;
}

export interface DownloadLink {
  url: string;
  expiresAt: string;
}

/** A download link to an export (not a job's archive), whose use can be followed. */
export interface ExportLink extends DownloadLink {
  /** GET it (authenticated) to learn how the browser's use of the link ended. */
  statusUrl: string;
}

/**
 * A job that names a destination goes on from running to "delivering" (progress: bytes
 * sent of the archive's size) and ends "delivered" (its archive kept like a done job's).
 */
export type JobState = "queued" | "running" | "delivering" | "done" | "delivered" | "failed" | "cancelled";

/** Where a delivered archive went, as the sender reports it (no secret): s3 bucket/key, azure-blob container/blob, email recipients. */
export type DeliveredTo = { kind?: string; [field: string]: unknown };

export interface ExportJob {
  id: string;
  state: JobState;
  scope: "study" | "patient" | "studies" | "patients" | "all";
  ids: string[];
  username: string;
  format: ExportFormat;
  archiveName: string;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  progress: { instancesDone: number; instancesTotal: number; bytesDone: number; bytesTotal: number };
  error: string | null;
  archive: { size: number; sha256: string; expiresAt: string | null } | null;
  /** The destination the archive is sent to (absent from servers without delivery). */
  destination?: number | null;
  deliveredTo?: DeliveredTo | null;
}

export interface CreatedJob {
  id: string;
  state: JobState;
  url: string;
}

export const finalJobStates: readonly JobState[] = ["done", "delivered", "failed", "cancelled"];

/** A finished job whose archive can be downloaded (while the server keeps it). */
export function hasArchive(job: ExportJob): boolean {
  return (job.state === "done" || job.state === "delivered") && job.archive !== null;
}

export function isFinal(state: JobState): boolean {
  return finalJobStates.includes(state);
}

export type StudySort =
  | "date-desc"
  | "date-asc"
  | "patient"
  | "patient-desc"
  | "modality"
  | "modality-desc"
  | "description"
  | "description-desc";

/** A failed call: HTTP status (0 when the server could not be reached) and server code. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** Any failure as an ApiError (one thrown by a call is kept as it is). */
export function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason));
}

let authToken: string | null = null;
let onUnauthorized: (error: ApiError) => void = () => {};

export function setAuthToken(token: string | null): void {
  authToken = token;
}

export function setUnauthorizedHandler(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

type Query = Record<string, string | number | boolean | undefined>;

function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = "http_" + response.status;
  let message = `The server answered ${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body?.error?.message) {
      code = body.error.code ?? code;
      message = body.error.message;
    }
  } catch {
    // Not the server's JSON error shape (a proxy's page, say): keep the status line.
  }
  return new ApiError(response.status, code, message);
}

interface CallOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE";
  accept?: string;
  body?: unknown;
  signal?: AbortSignal;
  authenticated?: boolean;
}

export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { method = "GET", body, signal, authenticated = true, accept = "application/json" } = options;
  const headers: Record<string, string> = { Accept: accept };
  if (authenticated && authToken) headers.Authorization = `Bearer ${authToken}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: "no-store",
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError(0, "unreachable", "The pacsport server cannot be reached. Check the connection and try again.");
  }
  if (response.ok) return response;
  const error = await errorOf(response);
  if (error.status === 401 && authenticated) onUnauthorized(error);
  throw error;
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await call(path, { signal })).json() as Promise<T>;
}

async function getPage<T>(path: string, key: string, query: Query, signal?: AbortSignal): Promise<Page<T>> {
  const body = await getJson<Record<string, unknown>>(withQuery(path, query), signal);
  return {
    items: body[key] as T[],
    total: body.total as number,
    offset: body.offset as number,
    limit: body.limit as number,
  };
}

export async function login(username: string, password: string): Promise<LoginAnswer> {
  const response = await call("/api/auth/login", {
    method: "POST",
    body: { username, password },
    authenticated: false,
  });
  return response.json() as Promise<LoginAnswer>;
}

// A Patient ID may contain "/" or be empty: it always goes into a path URL-encoded.
const patientPath = (patientID: string) => encodeURIComponent(patientID);

export function listPatients(query: { search?: string; offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<Patient>("/api/patients", "patients", query, signal);
}

export async function patientStudies(patientID: string, signal?: AbortSignal): Promise<Study[]> {
  const page = await getPage<Study>(`/api/patients/${patientPath(patientID)}/studies`, "studies", { limit: 1000 }, signal);
  return page.items;
}

export function listStudies(query: StudyFilters & { sort: StudySort; offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<Study>("/api/studies", "studies", { ...query }, signal);
}

export function listAudit(query: AuditFilters & { offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<AuditRecord>("/api/audit", "records", { ...query }, signal);
}

export function auditStudies(id: number, query: { offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<AuditStudy>(`/api/audit/${id}/studies`, "studies", query, signal);
}

export function auditPublicKey(signal?: AbortSignal) {
  return getJson<AuditPublicKey>("/api/audit/public-key", signal);
}

/** Every record matching the filters as one file (CSV or JSON lines) and the name the server gives it. */
export async function auditExport(format: "csv" | "jsonl", filters: AuditFilters): Promise<{ blob: Blob; name: string }> {
  const response = await call(withQuery("/api/audit/export", { format, ...filters }), { accept: "*/*" });
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `audit.${format}`;
  return { blob: await response.blob(), name };
}

/**
 * The study's first image as a PNG blob, at most `size` pixels (the server's default 128,
 * up to 512), or null when none renders (204; the server answers 204, not 404, so that
 * the browser logs no failed request).
 */
export async function studyThumbnail(studyUID: string, signal?: AbortSignal, size?: number): Promise<Blob | null> {
  const path = `/api/studies/${encodeURIComponent(studyUID)}/thumbnail${size ? `?size=${size}` : ""}`;
  const response = await call(path, { signal, accept: "image/png" });
  return response.status === 204 ? null : response.blob();
}

// The export's scope as a path suffix: /api/export/<scope>, /api/export/estimate/<scope>
// and /api/export/link/<scope> (the verb comes first, as a Patient ID may contain "/").
function scopePath(scope: SingleExportScope): string {
  switch (scope.kind) {
    case "patient":
      return `patient/${patientPath(scope.patientID)}`;
    case "study":
      return `study/${encodeURIComponent(scope.studyUID)}`;
    case "series":
      return `series/${encodeURIComponent(scope.seriesUID)}`;
    case "all":
      return "all";
  }
}

function exportQuery(options: ExportOptions): Query {
  // A JSON-only export is the metadata document alone, a disc holds the images,
  // whatever the checkbox says.
  const deidentify = options.deidentify;
  return {
    includeImages: withImages(options),
    format: options.format,
    previews: options.previews,
    compression: options.compression,
    ...(deidentify
      ? {
          deidentify: "basic",
          project: deidentify.project,
          deidentifyOptions: deidentify.options.join(","),
          includeBurnedIn: deidentify.includeBurnedIn || undefined,
        }
      : {}),
  };
}

export function exportEstimate(scope: SingleExportScope, options: ExportOptions, signal?: AbortSignal) {
  return getJson<ExportEstimate>(withQuery(`/api/export/estimate/${scopePath(scope)}`, exportQuery(options)), signal);
}

export async function createDownloadLink(scope: SingleExportScope, options: ExportOptions): Promise<ExportLink> {
  const path = withQuery(`/api/export/link/${scopePath(scope)}`, exportQuery(options));
  return (await call(path, { method: "POST" })).json() as Promise<ExportLink>;
}

// Download links' outcome (downloads helper's block).

/** What became of the browser's use of a download link. */
export type LinkUseState = "pending" | "streaming" | "completed" | "failed" | "expired";

export interface LinkStatus {
  state: LinkUseState;
  /** Why the download failed (state "failed"). */
  error?: { code: string; message: string };
}

export function downloadLinkStatus(statusUrl: string, signal?: AbortSignal): Promise<LinkStatus> {
  return getJson<LinkStatus>(statusUrl, signal);
}

// Export jobs: /api/export/jobs and /api/export/jobs/:id[/events|/link].

function jobTargets(scope: ExportScope): string[] {
  switch (scope.kind) {
    case "patient":
      return [scope.patientID];
    case "study":
      return [scope.studyUID];
    case "series":
      return [scope.seriesUID];
    case "all":
      return [];
    case "patients":
      return scope.patientIDs;
    case "studies":
      return scope.studyUIDs;
  }
}

/**
 * Starts an export job for the scope with the dialog's options (202: queued); with a
 * destination, the job sends its archive there once it is written.
 */
export async function createExportJob(scope: ExportScope, options: ExportOptions, destination: number | null = null): Promise<CreatedJob> {
  const images = withImages(options);
  const body = {
    scope: scope.kind,
    ids: jobTargets(scope),
    includeImages: images,
    previews: images && options.previews !== false,
    format: options.format,
    ...(options.compression === undefined ? {} : { compression: options.compression }),
    ...(options.deidentify ? { deidentify: { profile: "basic", ...options.deidentify } } : {}),
    ...(destination === null ? {} : { destination }),
  };
  return (await call("/api/export/jobs", { method: "POST", body })).json() as Promise<CreatedJob>;
}

const jobPath = (id: string) => `/api/export/jobs/${encodeURIComponent(id)}`;

export function listExportJobs(query: { offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<ExportJob>("/api/export/jobs", "jobs", query, signal);
}

export function exportJob(id: string, signal?: AbortSignal): Promise<ExportJob> {
  return getJson<ExportJob>(jobPath(id), signal);
}

/** Cancels a queued or running job, or deletes a finished one's archive; the job after. */
export async function deleteExportJob(id: string): Promise<ExportJob> {
  return (await call(jobPath(id), { method: "DELETE" })).json() as Promise<ExportJob>;
}

/** A single-use link to a finished job's archive, which the browser can download. */
export async function createJobLink(id: string): Promise<DownloadLink> {
  return (await call(`${jobPath(id)}/link`, { method: "POST" })).json() as Promise<DownloadLink>;
}

/**
 * Follows the job's event stream (Server-Sent Events read through fetch, as EventSource
 * cannot send the Bearer token), calling onJob with every `job` event, until the stream
 * ends (the server ends it after a final state) or signal aborts (then it rejects with
 * the AbortError). A failed request rejects with its ApiError.
 */
export async function followExportJob(id: string, onJob: (job: ExportJob) => void, signal: AbortSignal): Promise<void> {
  const response = await call(`${jobPath(id)}/events`, { signal, accept: "text/event-stream" });
  if (!response.body) throw new ApiError(0, "internal", "The browser gave no readable stream for the job's events.");
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser((event) => {
    if (event.type !== "job") return;
    try {
      onJob(JSON.parse(event.data) as ExportJob);
    } catch {
      // A malformed event is skipped; the next one (at least once a second) follows.
    }
  });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        parser.end();
        break;
      }
      parser.push(value);
    }
  } catch (cause) {
    if (signal.aborted) throw cause;
    throw new ApiError(0, "unreachable", "The job's progress stream was interrupted.");
  } finally {
    reader.releaseLock();
  }
}

// ---- Searching studies the way PACS users do (issue 15: items 7, 10) ----

/** The filters of GET /api/studies; dates are YYYY-MM-DD, modality a comma-separated list. */
export interface StudyFilters {
  search?: string;
  studyDateFrom?: string;
  studyDateTo?: string;
  accession?: string;
  birthDate?: string;
  modality?: string;
  hasAi?: boolean;
}

/** A modality of the hospital's studies and how many studies have a series of it. */
export interface ModalityCount {
  modality: string;
  studies: number;
}

export function studyModalities(signal?: AbortSignal): Promise<ModalityCount[]> {
  return getJson<ModalityCount[]>("/api/studies/modalities", signal);
}

/**
 * The studies whose files carry no Patient ID: they may belong to different people, so the
 * patient list leaves them out and they are exported one study at a time.
 */
export function listUnidentifiedStudies(query: { offset: number; limit: number }, signal?: AbortSignal) {
  // patientID= (empty) names them; withQuery would leave an empty value out.
  const params = new URLSearchParams({ patientID: "", offset: String(query.offset), limit: String(query.limit) });
  return getPage<Study>(`/api/studies?${params}`, "studies", {}, signal);
}

// ---- A study's series, each exportable on its own (issue 15: item 14) ----

/** One series of a study, as GET /api/studies/:studyUID/series lists it. */
export type Series = {
  seriesInstanceUID: string;
  seriesNumber: number | null;
  modality: string;
  seriesDescription: string;
  numberOfInstances: number;
  totalBytes: number;
};

/** A study's series, by series number. */
export async function studySeries(studyUID: string, signal?: AbortSignal): Promise<Series[]> {
  const body = await getJson<{ series: Series[] }>(`/api/studies/${encodeURIComponent(studyUID)}/series`, signal);
  return body.series;
}
