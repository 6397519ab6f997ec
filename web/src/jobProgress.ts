// What a job's progress means for display: the fraction done, and the time left from the
// rate of the last seconds. Pure functions over the job records the server sends.
import type { ExportJob } from "./api";

/**
 * True for a job that sends its instances to another PACS rather than an archive: it
 * has no archive while delivering, and its deliveredTo is a push report.
 */
export function isPush(job: ExportJob): boolean {
  if (job.archive) return false;
  return job.state === "delivering" || (!!job.deliveredTo && typeof job.deliveredTo.sent === "number");
}

/**
 * The fraction done, 0 to 1: by instances, whose total the plan knows exactly, else by
 * bytes. (bytesTotal is the planner's estimate until the job is done, previews and
 * compression included, so bytes alone could crawl and then jump, or reach the end
 * early.) While delivering, by the bytes sent of the archive's exact size (a push: by
 * the instances sent). Below 1
 * until the job is done or delivered.
 */
export function fractionDone(job: ExportJob): number {
  if (job.state === "done" || job.state === "delivered") return 1;
  const { bytesDone, bytesTotal, instancesDone, instancesTotal } = job.progress;
  const byBytes = bytesTotal > 0 ? bytesDone / bytesTotal : 0;
  // A push to another PACS (no archive) counts the instances it has settled.
  const byInstances = (job.state !== "delivering" || isPush(job)) && instancesTotal > 0;
  const fraction = byInstances ? instancesDone / instancesTotal : byBytes;
  return Math.min(0.99, Math.max(0, fraction));
}

/** A progress sample: when (ms, the page's clock) the job had done this fraction. */
export interface Sample {
  at: number;
  fraction: number;
}

/** How far back the rate looks: long enough to smooth bursts, short enough to follow changes. */
export const rateWindowMs = 15_000;

/** Adds a sample and drops those older than the window (keeping one before it). */
export function addSample(samples: Sample[], sample: Sample): Sample[] {
  const kept = samples.filter((s) => s.at >= sample.at - rateWindowMs);
  const older = samples.filter((s) => s.at < sample.at - rateWindowMs);
  if (older.length > 0) kept.unshift(older[older.length - 1]);
  // A fraction going backwards (a restarted job) starts the rate afresh.
  if (kept.length > 0 && sample.fraction < kept[kept.length - 1].fraction) return [sample];
  return [...kept, sample];
}

/**
 * Milliseconds left at the rate of the window, or null while there is no rate yet (fewer
 * than two samples two seconds apart, or no progress in the window).
 */
export function remainingMs(samples: Sample[]): number | null {
  if (samples.length < 2) return null;
  const first = samples[0];
  const last = samples[samples.length - 1];
  const elapsed = last.at - first.at;
  const gained = last.fraction - first.fraction;
  if (elapsed < 2000 || gained <= 0) return null;
  return ((1 - last.fraction) / gained) * elapsed;
}

/** "about 3 min left", "less than a minute left", "about 2 h 10 min left". */
export function remainingText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 10) return "a few seconds left";
  if (seconds < 60) return `about ${Math.round(seconds / 10) * 10} s left`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `about ${hours} h ${rest} min left` : `about ${hours} h left`;
}
