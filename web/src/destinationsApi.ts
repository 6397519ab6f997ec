// The hospital's delivery destinations (/api/destinations): where an export job can send
// its archive. Every user of the hospital may list them (the Export dialog's "Send to…");
// only admins create, change, test and delete them. Secrets are write-only: the server
// names the secret keys a destination has set, never their values.
import { call, getJson } from "./api";

export type DestinationKind = "s3" | "azure-blob" | "email" | "dicom" | "dicomweb";

export type SettingValue = string | number | boolean | string[];

export interface Destination {
  id: number;
  name: string;
  kind: DestinationKind;
  settings: Record<string, SettingValue>;
  /** The secret keys that are set (their values never leave the server). */
  secrets: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** A new destination: every setting, every secret it needs. */
export interface NewDestination {
  name: string;
  kind: DestinationKind;
  settings: Record<string, SettingValue>;
  secrets: Record<string, string>;
}

/**
 * A change: settings replace the old ones whole; secrets merge (a string sets a key,
 * null removes it, an absent key stays as it was).
 */
export interface DestinationChange {
  name?: string;
  settings?: Record<string, SettingValue>;
  secrets?: Record<string, string | null>;
}

/** The test action's answer: reachable with these credentials, or why not. */
export type TestOutcome = { ok: true } | { ok: false; error: { code: string; message: string } };

const destinationPath = (id: number) => `/api/destinations/${id}`;

export async function listDestinations(signal?: AbortSignal): Promise<Destination[]> {
  return (await getJson<{ items: Destination[] }>("/api/destinations", signal)).items;
}

export async function createDestination(destination: NewDestination): Promise<Destination> {
  return (await call("/api/destinations", { method: "POST", body: destination })).json() as Promise<Destination>;
}

export async function updateDestination(id: number, change: DestinationChange): Promise<Destination> {
  return (await call(destinationPath(id), { method: "PUT", body: change })).json() as Promise<Destination>;
}

export async function deleteDestination(id: number): Promise<void> {
  await call(destinationPath(id), { method: "DELETE" });
}

export async function testDestination(id: number): Promise<TestOutcome> {
  return (await call(`${destinationPath(id)}/test`, { method: "POST" })).json() as Promise<TestOutcome>;
}
