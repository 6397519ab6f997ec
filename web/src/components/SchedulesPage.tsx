// Schedules (admins): exports the server runs by itself. A card per schedule: when it
// runs (in words and as cron, with its time zone), what it exports and where, its next
// and last run and the last run's outcome (its job's state), and its actions: Run now,
// History (its runs, each a job linked to the Jobs page), Edit, Delete (after
// confirmation).
import { useId, useState, type MouseEvent } from "react";
import { asApiError, exportJob, type ApiError, type ExportJob } from "../api";
import { describeCron } from "../cron";
import { listDestinations, type Destination } from "../destinationsApi";
import { plural, timestamp } from "../format";
import { useResource } from "../hooks";
import { deleteSchedule, listSchedules, runSchedule, scheduleRuns, type Schedule } from "../schedulesApi";
import { ConfirmDialog } from "./ConfirmDialog";
import { stateNames } from "./jobLabels";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { ScheduleDialog } from "./ScheduleDialog";

type Editing = { kind: "closed" } | { kind: "new" } | { kind: "edit"; schedule: Schedule } | { kind: "delete"; schedule: Schedule };

interface Props {
  /** Shows the job on the Jobs page. */
  onOpenJob: (id: string) => void;
}

export function SchedulesPage({ onOpenJob }: Props) {
  const schedules = useResource((signal) => listSchedules(signal), []);
  const destinations = useResource((signal) => listDestinations(signal), []);
  const [editing, setEditing] = useState<Editing>({ kind: "closed" });
  const items = schedules.data;
  const close = () => setEditing({ kind: "closed" });

  return (
    <section className="page" aria-labelledby="schedules-title">
      <div className="page-head">
        <div>
          <h1 id="schedules-title">Schedules</h1>
          <p className="page-note small muted">Exports the server runs by itself, each run an export job.</p>
        </div>
        <div className="toolbar">
          <button type="button" className="button button-small" onClick={schedules.reload}>
            Refresh
          </button>
          <button type="button" className="button button-small button-primary" onClick={() => setEditing({ kind: "new" })}>
            New schedule
          </button>
        </div>
      </div>

      {schedules.error && <ErrorNotice error={schedules.error} onRetry={schedules.reload} />}
      {!items && schedules.loading && <Loading what="schedules" />}
      {items && items.length === 0 && !schedules.error && <Empty>No schedules yet. Create one for a nightly backup, say.</Empty>}
      {items && items.length > 0 && (
        <ul className="jobs" aria-label="Schedules">
          {items.map((schedule) => (
            <li key={schedule.id}>
              <ScheduleCard
                schedule={schedule}
                destinations={destinations.data ?? []}
                onEdit={() => setEditing({ kind: "edit", schedule })}
                onDelete={() => setEditing({ kind: "delete", schedule })}
                onRan={schedules.reload}
                onOpenJob={onOpenJob}
              />
            </li>
          ))}
        </ul>
      )}

      {(editing.kind === "new" || editing.kind === "edit") && (
        <ScheduleDialog
          editing={editing.kind === "edit" ? editing.schedule : undefined}
          destinations={destinations.data ?? []}
          onClose={close}
          onSaved={() => {
            close();
            schedules.reload();
          }}
        />
      )}
      {editing.kind === "delete" && (
        <ConfirmDialog
          title={`Delete schedule ${editing.schedule.name}?`}
          confirm="Delete"
          onClose={close}
          action={async () => {
            await deleteSchedule(editing.schedule.id);
            close();
            schedules.reload();
          }}
        >
          It no longer runs. The jobs it has run stay on the Jobs page.
        </ConfirmDialog>
      )}
    </section>
  );
}

function scopeText(schedule: Schedule): string {
  switch (schedule.scope) {
    case "all":
      return "Whole hospital";
    case "patients":
      return plural(schedule.ids.length, "patient");
    case "studies":
      return plural(schedule.ids.length, "study", "studies");
  }
}

function optionsText(schedule: Schedule): string {
  const { format, includeImages, previews } = schedule.options;
  if (format === "json") return "JSON only";
  const parts = [includeImages ? "images" : "", previews ? "previews" : ""].filter(Boolean);
  return `ZIP${parts.length ? ` with ${parts.join(" and ")}` : ", metadata only"}`;
}

const when = (iso: string | null, never: string) => (iso ? <time dateTime={iso}>{timestamp(iso)}</time> : <span className="muted">{never}</span>);

/** A link to the Jobs page that shows the job there (a plain link for a new tab). */
function JobLink({ id, onOpenJob, children }: { id: string; onOpenJob: (id: string) => void; children: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    onOpenJob(id);
  };
  return (
    <a href="/jobs" onClick={follow} className="job-link" data-job-id={id}>
      {children}
    </a>
  );
}

type RunAction = { kind: "idle" } | { kind: "running" } | { kind: "started"; job: ExportJob } | { kind: "failed"; error: ApiError };

interface CardProps {
  schedule: Schedule;
  destinations: Destination[];
  onEdit: () => void;
  onDelete: () => void;
  onRan: () => void;
  onOpenJob: (id: string) => void;
}

function ScheduleCard({ schedule, destinations, onEdit, onDelete, onRan, onOpenJob }: CardProps) {
  const [run, setRun] = useState<RunAction>({ kind: "idle" });
  const [history, setHistory] = useState(false);
  const [historyGeneration, setHistoryGeneration] = useState(0);
  const headingId = useId();
  const historyId = useId();
  const description = describeCron(schedule.cron);
  const destination =
    schedule.destination === null ? null : (destinations.find((d) => d.id === schedule.destination)?.name ?? `destination ${schedule.destination}`);

  async function runNow() {
    setRun({ kind: "running" });
    try {
      const job = await runSchedule(schedule.id);
      setRun({ kind: "started", job });
      setHistoryGeneration((n) => n + 1);
      onRan();
    } catch (reason) {
      setRun({ kind: "failed", error: asApiError(reason) });
    }
  }

  return (
    <article className="card job-card schedule-card" aria-labelledby={headingId} data-schedule-id={schedule.id}>
      <div className="job-head">
        <h2 className="card-title" id={headingId}>
          {schedule.name}
        </h2>
        <span className={schedule.enabled ? "job-state job-state-done" : "job-state"}>{schedule.enabled ? "Enabled" : "Disabled"}</span>
      </div>
      <p className="small job-meta schedule-when">
        {description ?? "Custom"} · <span className="mono">{schedule.cron}</span> · {schedule.timeZone}
      </p>
      <p className="small muted job-meta">
        {scopeText(schedule)} · {optionsText(schedule)}
        {schedule.incremental && " · incremental"} · {destination ? <>sent to {destination}</> : "kept for download"} · owner {schedule.owner}
      </p>
      <dl className="schedule-facts small">
        <div>
          <dt>Next run</dt>
          <dd data-key="nextRunAt">{when(schedule.nextRunAt, schedule.enabled ? "not planned" : "disabled")}</dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd data-key="lastRunAt">{when(schedule.lastRunAt, "never")}</dd>
        </div>
        <div>
          <dt>Last outcome</dt>
          <dd data-key="lastOutcome">
            <LastOutcome schedule={schedule} onOpenJob={onOpenJob} />
          </dd>
        </div>
      </dl>
      <div className="job-actions">
        <button type="button" className="button button-small button-primary" onClick={runNow} disabled={run.kind === "running"} aria-label={`Run now: ${schedule.name}`}>
          {/* The visible words start the accessible name (WCAG 2.5.3, Label in Name). */}
          {run.kind === "running" ? "Starting…" : "Run now"}
        </button>
        <button
          type="button"
          className="button button-small"
          aria-expanded={history}
          aria-controls={historyId}
          onClick={() => setHistory((open) => !open)}
          aria-label={`Run history of ${schedule.name}`}
        >
          {history ? "Hide history" : "History"}
        </button>
        <button type="button" className="button button-small" onClick={onEdit} aria-label={`Edit ${schedule.name}`}>
          Edit
        </button>
        <button type="button" className="button button-small" onClick={onDelete} aria-label={`Delete ${schedule.name}`}>
          Delete
        </button>
        <span aria-live="polite" className="small">
          {run.kind === "started" && (
            <>
              Started{" "}
              <JobLink id={run.job.id} onOpenJob={onOpenJob}>
                {`job ${run.job.id}`}
              </JobLink>
              .
            </>
          )}
        </span>
      </div>
      {run.kind === "failed" && <ErrorNotice error={run.error} />}
      {history && (
        <div id={historyId}>
          <RunHistory schedule={schedule} generation={historyGeneration} onOpenJob={onOpenJob} />
        </div>
      )}
    </article>
  );
}

/** The state of the schedule's last job (from the job itself); from the times if it is gone. */
function LastOutcome({ schedule, onOpenJob }: { schedule: Schedule; onOpenJob: (id: string) => void }) {
  const { lastJob } = schedule;
  // Fetched again whenever the list is (a new schedule record), so Refresh updates it.
  const job = useResource((signal) => (lastJob ? exportJob(lastJob, signal).catch(() => null) : Promise.resolve(null)), [schedule]);
  if (!lastJob) return <span className="muted">none yet</span>;
  if (job.loading && !job.data) return <span className="muted">…</span>;
  if (job.data) {
    return (
      <JobLink id={job.data.id} onOpenJob={onOpenJob}>
        {stateNames[job.data.state] ?? job.data.state}
      </JobLink>
    );
  }
  const succeeded = schedule.lastSuccessAt !== null && schedule.lastSuccessAt === schedule.lastRunAt;
  return <span>{succeeded ? "Succeeded" : "Did not succeed"} (job deleted)</span>;
}

function RunHistory({ schedule, generation, onOpenJob }: { schedule: Schedule; generation: number; onOpenJob: (id: string) => void }) {
  const runs = useResource((signal) => scheduleRuns(schedule.id, signal), [schedule.id, generation]);
  return (
    <section className="run-history" aria-label={`Runs of ${schedule.name}`}>
      <h3 className="small">Run history</h3>
      {runs.error && <ErrorNotice error={runs.error} onRetry={runs.reload} />}
      {!runs.data && runs.loading && <Loading what="runs" />}
      {runs.data && runs.data.length === 0 && <Empty>No runs yet.</Empty>}
      {runs.data && runs.data.length > 0 && (
        <ul className="runs">
          {runs.data.map((job) => (
            <li key={job.id} className="run" data-job-id={job.id} data-state={job.state}>
              <time dateTime={job.createdAt}>{timestamp(job.createdAt)}</time>
              <span className={`job-state job-state-${job.state}`}>{stateNames[job.state] ?? job.state}</span>
              <JobLink id={job.id} onOpenJob={onOpenJob}>
                {`Job ${job.id}`}
              </JobLink>
              {job.error && <span className="small run-error">{job.error}</span>}
            </li>
          ))}
        </ul>
      )}
      <button type="button" className="button button-small" onClick={runs.reload}>
        Refresh history
      </button>
    </section>
  );
}
