// The pacsport REST API as the UI uses it: typed records, one fetch wrapper that adds the
// Bearer token and turns every failure into an ApiError, and the export URLs.
//
// A 401 from any authenticated call invokes the handler set by setUnauthorizedHandler
// (the session logs out and says why); the login call itself reports 401 as an error.

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

export type Outcome = "success" | "denied" | "failed" | "aborted";

export interface AuditRecord {
  id: number;
  startedAt: string;
  username: string;
  hospital: string;
  clientAddress: string;
  endpoint: string;
  target: string;
  parameters: Record<string, unknown>;
  outcome: Outcome;
  detail: string;
  bytesSent: number;
  entries: number;
  durationMs: number;
}

export type ExportScope =
  | { kind: "patient"; patientID: string; label: string }
  | { kind: "study"; studyUID: string; label: string }
  | { kind: "all"; label: string };

export interface ExportOptions {
  includeImages: boolean;
  format: "zip" | "json";
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
}

export interface DownloadLink {
  url: string;
  expiresAt: string;
}

export type StudySort = "date-desc" | "date-asc" | "patient" | "modality" | "description";

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
  method?: "GET" | "POST";
  body?: unknown;
  signal?: AbortSignal;
  authenticated?: boolean;
}

async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const { method = "GET", body, signal, authenticated = true } = options;
  const headers: Record<string, string> = { Accept: "application/json" };
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

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
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

export function listStudies(
  query: { search?: string; modality?: string; sort: StudySort; offset: number; limit: number },
  signal?: AbortSignal,
) {
  return getPage<Study>("/api/studies", "studies", query, signal);
}

export function listAudit(query: { outcome?: string; user?: string; offset: number; limit: number }, signal?: AbortSignal) {
  return getPage<AuditRecord>("/api/audit", "records", query, signal);
}

/** The study's thumbnail as a blob, or null when it has none (404). */
export async function studyThumbnail(studyUID: string, signal?: AbortSignal): Promise<Blob | null> {
  try {
    return await (await call(`/api/studies/${encodeURIComponent(studyUID)}/thumbnail`, { signal })).blob();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

// The export's scope as a path suffix: /api/export/<scope>, /api/export/estimate/<scope>
// and /api/export/link/<scope> (the verb comes first, as a Patient ID may contain "/").
function scopePath(scope: ExportScope): string {
  switch (scope.kind) {
    case "patient":
      return `patient/${patientPath(scope.patientID)}`;
    case "study":
      return `study/${encodeURIComponent(scope.studyUID)}`;
    case "all":
      return "all";
  }
}

function exportQuery(options: ExportOptions): Query {
  // A JSON-only export is the metadata document alone, whatever the checkbox says.
  return { includeImages: options.format === "zip" && options.includeImages, format: options.format };
}

export function exportEstimate(scope: ExportScope, options: ExportOptions, signal?: AbortSignal) {
  return getJson<ExportEstimate>(withQuery(`/api/export/estimate/${scopePath(scope)}`, exportQuery(options)), signal);
}

export async function createDownloadLink(scope: ExportScope, options: ExportOptions): Promise<DownloadLink> {
  const path = withQuery(`/api/export/link/${scopePath(scope)}`, exportQuery(options));
  return (await call(path, { method: "POST" })).json() as Promise<DownloadLink>;
}
