// The hospital's export schedules (/api/schedules, admins): a 5-field cron expression in
// a time zone, a scope, export options and a destination; each run is an export job of
// the schedule's owner, listed in the schedule's run history.
import { call, getJson, type ExportJob } from "./api";

export type ScheduleScope = "all" | "patients" | "studies";

export interface ScheduleOptions {
  includeImages: boolean;
  previews: boolean;
  format: "zip" | "json";
  /** Deflate level, 0 (store) to 9. */
  compression: number;
}

/** What an admin sets; the server adds the rest. */
export interface ScheduleInput {
  name: string;
  cron: string;
  timeZone: string;
  scope: ScheduleScope;
  ids: string[];
  options: ScheduleOptions;
  destination: number | null;
  /** Only studies added or changed since the last successful run. */
  incremental: boolean;
  enabled: boolean;
}

export interface Schedule extends ScheduleInput {
  id: number;
  owner: string;
  nextRunAt: string | null;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastJob: string | null;
  createdAt: string;
  updatedAt: string;
}

const schedulePath = (id: number) => `/api/schedules/${id}`;

export async function listSchedules(signal?: AbortSignal): Promise<Schedule[]> {
  return (await getJson<{ items: Schedule[] }>("/api/schedules", signal)).items;
}

export async function createSchedule(input: ScheduleInput): Promise<Schedule> {
  return (await call("/api/schedules", { method: "POST", body: input })).json() as Promise<Schedule>;
}

export async function updateSchedule(id: number, input: ScheduleInput): Promise<Schedule> {
  return (await call(schedulePath(id), { method: "PUT", body: input })).json() as Promise<Schedule>;
}

export async function deleteSchedule(id: number): Promise<void> {
  await call(schedulePath(id), { method: "DELETE" });
}

/** The schedule's runs, newest first: each is an export job. */
export async function scheduleRuns(id: number, signal?: AbortSignal): Promise<ExportJob[]> {
  return (await getJson<{ items: ExportJob[] }>(`${schedulePath(id)}/runs`, signal)).items;
}

/** Runs the schedule now, outside its times (202: the job). */
export async function runSchedule(id: number): Promise<ExportJob> {
  return (await call(`${schedulePath(id)}/run`, { method: "POST" })).json() as Promise<ExportJob>;
}
