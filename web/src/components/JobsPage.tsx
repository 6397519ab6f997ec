// Export jobs: the user's jobs (an admin's: the hospital's), newest first, paged by the
// server. Each job shows what it exports, when it was created, its state and a progress
// bar fed by its event stream while it is queued, running or delivering (bytes done of the total,
// the time left at the recent rate), and its actions: Cancel (queued, running), Download
// (done: a single-use link handed to the browser's download manager, which can resume an
// interrupted download) and Delete (finished: removes the archive). A failed job shows
// its error. A job sent to a destination names it, shows the bytes sent of the archive
// while delivering, and where the archive went once delivered. The job just created
// (from the Export dialog, or a schedule's run that was clicked) gets the focus.
import { useEffect, useId, useRef, useState } from "react";
import { ApiError, createJobLink, deleteExportJob, hasArchive, isFinal, listExportJobs, type ExportJob } from "../api";
import { listDestinations } from "../destinationsApi";
import { startDownload } from "../download";
import { bytes, count, plural, timestamp } from "../format";
import { useResource } from "../hooks";
import { fractionDone, isPush, remainingText } from "../jobProgress";
import { useLiveJob } from "../liveJob";
import { useSession } from "../session";
import { deliveredToText, pushReportText, stateNames } from "./jobLabels";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";

// A Patient ID may be empty: it is shown as such, never as nothing.
const targetText = (id: string | undefined) => (id ? id : "(no ID)");

/** What the job exports, in words: "Study 1.2.3", "3 patients", "Whole hospital". */
export function jobTitle(job: ExportJob): string {
  switch (job.scope) {
    case "study":
      return `Study ${targetText(job.ids[0])}`;
    case "patient":
      return `Patient ${targetText(job.ids[0])}`;
    case "studies":
      return plural(job.ids.length, "study", "studies");
    case "patients":
      return plural(job.ids.length, "patient");
    case "all":
      return "Whole hospital";
  }
}

export function JobsPage({ focusJob }: { focusJob: string | null }) {
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(25);
  const jobs = useResource((signal) => listExportJobs({ offset, limit }, signal), [offset, limit]);
  // The destinations' names (a job names its destination by id); none if they cannot be read.
  const destinations = useResource((signal) => listDestinations(signal).catch(() => []), []);
  const destinationNames = new Map((destinations.data ?? []).map((d) => [d.id, d.name]));
  // Jobs are shown once their destinations' names are known (never "destination 3" first).
  const page = destinations.data && jobs.data;

  return (
    <section className="page" aria-labelledby="jobs-title">
      <div className="page-head">
        <h1 id="jobs-title">Export jobs</h1>
        <div className="toolbar">
          {jobs.loading && page && <span className="spinner" role="status" aria-label="Loading export jobs" />}
          <button type="button" className="button button-small" onClick={jobs.reload}>
            Refresh
          </button>
        </div>
      </div>

      {jobs.error && <ErrorNotice error={jobs.error} onRetry={jobs.reload} />}
      {!page && !jobs.error && <Loading what="export jobs" />}
      {page && page.items.length === 0 && !jobs.error && (
        <Empty>No export jobs yet. Select patients or studies and choose “Export selected” to start one.</Empty>
      )}
      {page && page.items.length > 0 && (
        <ul className={jobs.loading ? "jobs stale" : "jobs"} aria-label="Export jobs">
          {page.items.map((job) => (
            <li key={job.id}>
              <JobCard listed={job} focus={job.id === focusJob} onChanged={jobs.reload} destinationNames={destinationNames} />
            </li>
          ))}
        </ul>
      )}
      {page && page.total > 0 && (
        <Pager label="Export jobs" offset={offset} limit={limit} total={page.total} onOffset={setOffset} onLimit={setLimit} />
      )}
    </section>
  );
}

type Action = { kind: "idle" } | { kind: "busy"; what: string } | { kind: "downloading" } | { kind: "failed"; error: ApiError };

interface CardProps {
  listed: ExportJob;
  focus: boolean;
  onChanged: () => void;
  destinationNames: Map<number, string>;
}

function JobCard({ listed, focus, onChanged, destinationNames }: CardProps) {
  const { job, remaining, replace, gone } = useLiveJob(listed);
  const { session } = useSession();
  const [action, setAction] = useState<Action>({ kind: "idle" });
  const ref = useRef<HTMLElement>(null);
  const headingId = useId();
  const title = jobTitle(job);
  const final = isFinal(job.state);

  useEffect(() => {
    if (focus) ref.current?.focus();
  }, [focus]);

  async function run(what: string, task: () => Promise<void>) {
    setAction({ kind: "busy", what });
    try {
      await task();
    } catch (reason) {
      setAction({ kind: "failed", error: reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason)) });
    }
  }

  // Cancel and Delete remove their own button: the focus stays on the job.
  const cancel = () =>
    run("Cancelling…", async () => {
      replace(await deleteExportJob(job.id));
      setAction({ kind: "idle" });
      ref.current?.focus();
    });
  const remove = () =>
    run("Deleting…", async () => {
      replace(await deleteExportJob(job.id));
      setAction({ kind: "idle" });
      ref.current?.focus();
      onChanged();
    });
  const download = () =>
    run("Preparing…", async () => {
      const link = await createJobLink(job.id);
      startDownload(link.url);
      setAction({ kind: "downloading" });
    });

  const fraction = fractionDone(job);
  const percent = Math.floor(fraction * 100);
  const { bytesDone, bytesTotal, instancesDone, instancesTotal } = job.progress;
  // The total is an estimate until the archive is complete; while delivering, the bytes
  // are those sent of the archive's (exact) size.
  const exactTotal = job.state === "done" || job.state === "delivering" || job.state === "delivered";
  const push = isPush(job);
  const figures = push
    ? "instances sent to another PACS"
    : bytesTotal > 0
      ? `${bytes(bytesDone)}${job.state === "delivering" ? " sent" : ""} of ${exactTotal ? "" : "≈ "}${bytes(bytesTotal)}`
      : bytes(bytesDone);
  const destination =
    job.destination === undefined || job.destination === null
      ? null
      : (destinationNames.get(job.destination) ?? `destination ${job.destination}`);
  const busy = action.kind === "busy";
  const otherUser = session && job.username !== session.user.username ? job.username : null;

  return (
    <article
      ref={ref}
      tabIndex={-1}
      className={`card job-card job-${job.state}`}
      aria-labelledby={headingId}
      data-job-id={job.id}
      data-state={job.state}
    >
      <div className="job-head">
        <h2 className="card-title" id={headingId}>
          {title}
        </h2>
        <span className={`job-state job-state-${job.state}`} role="status">
          {gone ? "Deleted" : stateNames[job.state]}
        </span>
      </div>
      <p className="small muted job-meta">
        <span className="mono">{job.archiveName}</span> · {push ? "DICOM instances" : job.format === "json" ? "JSON" : "ZIP"} · created{" "}
        <time dateTime={job.createdAt}>{timestamp(job.createdAt)}</time>
        {otherUser && <> · by {otherUser}</>}
        {destination && (
          <>
            {" "}
            · to <span className="job-destination">{destination}</span>
          </>
        )}
        {job.finishedAt && (
          <>
            {" "}
            · finished <time dateTime={job.finishedAt}>{timestamp(job.finishedAt)}</time>
          </>
        )}
      </p>
      {job.scope !== "all" && job.ids.length > 0 && (job.scope === "studies" || job.scope === "patients") && (
        <p className="small mono job-targets" title={job.ids.map(targetText).join("\n")}>
          {job.ids.slice(0, 3).map(targetText).join(", ")}
          {job.ids.length > 3 && <span className="muted"> and {count(job.ids.length - 3)} more</span>}
        </p>
      )}

      <div
        className="progress"
        role="progressbar"
        aria-label={`Progress of ${title}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent} %, ${figures}`}
      >
        <div className="progress-fill" style={{ width: `${fraction * 100}%` }} />
      </div>
      <p className="small job-figures">
        <span className="job-percent">{percent} %</span>
        <span data-key="bytes" data-done={bytesDone} data-total={bytesTotal}>
          {figures}
        </span>
        {instancesTotal > 0 && <span>{`${count(instancesDone)} of ${plural(instancesTotal, "instance")}`}</span>}
        {(job.state === "running" || job.state === "delivering") && (
          <span className="job-eta">{remaining === null ? "estimating time left…" : remainingText(remaining)}</span>
        )}
        {job.state === "queued" && <span className="muted">waiting for a free slot</span>}
        {job.state === "delivering" && (
          <span className="muted">
            {push ? "sending the instances to" : "sending the archive to"} {destination}
          </span>
        )}
      </p>

      {job.state === "failed" && (
        <p className="notice notice-error job-error" role="alert">
          Failed: {job.error ?? "no reason given"}
        </p>
      )}
      {job.state === "delivered" && (
        <p className="small job-delivered">
          Delivered to{" "}
          <span className="mono" data-key="deliveredTo">
            {job.deliveredTo ? deliveredToText(job.deliveredTo) : destination}
          </span>
        </p>
      )}
      {push && job.deliveredTo && (
        <p className="small job-push-report" data-key="pushReport">
          {pushReportText(job.deliveredTo)}
        </p>
      )}
      {job.state === "cancelled" && job.error && <p className="small muted job-reason">{job.error}</p>}
      {hasArchive(job) && job.archive && (
        <p className="small muted job-archive">
          Archive {bytes(job.archive.size)} · SHA-256{" "}
          <span className="mono" title={job.archive.sha256}>
            {job.archive.sha256.slice(0, 12)}…
          </span>
          {job.archive.expiresAt && (
            <>
              {" "}
              · kept until <time dateTime={job.archive.expiresAt}>{timestamp(job.archive.expiresAt)}</time>
            </>
          )}
        </p>
      )}
      {(job.state === "done" || job.state === "delivered") && !job.archive && !push && (
        <p className="small muted">The archive has been deleted or has expired.</p>
      )}

      <div className="job-actions">
        {!final && !gone && (
          <button type="button" className="button button-small" onClick={cancel} disabled={busy} aria-label={`Cancel ${title}`}>
            Cancel
          </button>
        )}
        {hasArchive(job) && (
          <button
            type="button"
            className="button button-small button-primary"
            onClick={download}
            disabled={busy}
            aria-label={`Download ${title}`}
          >
            Download
          </button>
        )}
        {final && !gone && (hasArchive(job) || (job.state !== "done" && job.state !== "delivered")) && (
          <button type="button" className="button button-small" onClick={remove} disabled={busy} aria-label={`Delete ${title}`}>
            Delete
          </button>
        )}
        <span aria-live="polite" className="small">
          {busy && action.what}
          {action.kind === "downloading" && "Your download has started. Follow it (or resume it) in the browser's downloads."}
        </span>
      </div>
      {action.kind === "failed" && <ErrorNotice error={action.error} />}
    </article>
  );
}
