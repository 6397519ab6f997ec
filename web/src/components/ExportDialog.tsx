// The one Export dialog: options (images and previews, ZIP or JSON), the details the
// estimate endpoint gives for them, and the primary action, which is one of two:
//
// - "Export Data" (a patient, a study or the hospital, when the estimate does not say
//   asJob): asks the server for a short-lived single-use download URL and hands it to the
//   browser's download manager (so the archive streams to disk with the browser's own
//   progress, never through JavaScript memory).
// - "Start export job" (a selection of patients or studies, which only jobs can export,
//   or an export the estimate says is large enough to run as a job): creates the job and
//   goes to the Jobs page, which follows its progress and downloads its archive.
//   "Send to…" (shown when the hospital has destinations) names where the job then
//   sends the archive; "Nowhere" keeps it for download only.
//
// The format is a ZIP archive, JSON only, or (not for the whole hospital) a patient disc:
// a ZIP laid out as IHE PDI media (DICOMDIR, INDEX.HTM), which always holds the images.
//
// Errors of any call (403, 404, 503, server down) show here.
import { useId, useState } from "react";
import {
  ApiError,
  createDownloadLink,
  createExportJob,
  exportEstimate,
  isBatch,
  type ExportEstimate,
  type ExportOptions,
  type ExportScope,
  type SingleExportScope,
} from "../api";
import { listDestinations } from "../destinationsApi";
import { startDownload } from "../download";
import { bytes, count } from "../format";
import { useResource } from "../hooks";
import { DeidentifySection } from "./DeidentifySection";
import { Dialog } from "./Dialog";
import { ErrorNotice } from "./LoadState";

const scopeNames = {
  patient: "Patient",
  study: "Study",
  series: "Series",
  all: "Whole hospital",
  patients: "Patients",
  studies: "Studies",
} as const;

/** A selection's estimate is the sum of its members' estimates, for at most this many. */
const batchEstimateLimit = 25;

/** The summed estimate of a selection, or null when it has more members than the limit. */
async function batchEstimate(scope: ExportScope, options: ExportOptions, signal: AbortSignal): Promise<ExportEstimate | null> {
  const members: SingleExportScope[] =
    scope.kind === "patients"
      ? scope.patientIDs.map((patientID) => ({ kind: "patient", patientID, label: patientID }))
      : scope.kind === "studies"
        ? scope.studyUIDs.map((studyUID) => ({ kind: "study", studyUID, label: studyUID }))
        : [];
  if (members.length > batchEstimateLimit) return null;
  const estimates: ExportEstimate[] = [];
  // Two at a time: the user's request rate is limited, and the pages load meanwhile.
  for (let i = 0; i < members.length; i += 2) {
    estimates.push(...(await Promise.all(members.slice(i, i + 2).map((member) => exportEstimate(member, options, signal)))));
  }
  const sum = (key: keyof ExportEstimate) => estimates.reduce((total, e) => total + Number(e[key] ?? 0), 0);
  const split = estimates.every((e) => e.estimatedDicomBytes !== undefined && e.estimatedPreviewBytes !== undefined);
  return {
    scope: scope.kind,
    target: "",
    studies: sum("studies"),
    instances: sum("instances"),
    dicomBytes: sum("dicomBytes"),
    frames: sum("frames"),
    estimatedBytes: sum("estimatedBytes"),
    includeImages: options.includeImages,
    format: options.format,
    asJob: true,
    ...(split ? { estimatedDicomBytes: sum("estimatedDicomBytes"), estimatedPreviewBytes: sum("estimatedPreviewBytes") } : {}),
  };
}

type Progress =
  | { kind: "idle" }
  | { kind: "requesting" }
  | { kind: "started" }
  | { kind: "failed"; error: ApiError };

interface Props {
  scope: ExportScope;
  onClose: () => void;
  /** A job was created: the workspace closes the dialog and shows the Jobs page. */
  onJobStarted: (jobID: string) => void;
}

export function ExportDialog({ scope, onClose, onJobStarted }: Props) {
  // A whole-hospital export defaults to metadata only, as the API does.
  const [options, setOptions] = useState<ExportOptions>({ includeImages: scope.kind !== "all", format: "zip" });
  const [progress, setProgress] = useState<Progress>({ kind: "idle" });
  const [destination, setDestination] = useState<number | null>(null);
  const batch = isBatch(scope);
  // Every user may list the hospital's destinations; without them there is no "Send to…".
  const destinations = useResource((signal) => listDestinations(signal).catch(() => []), []);
  const estimate = useResource(
    (signal) => (isBatch(scope) ? batchEstimate(scope, options, signal) : exportEstimate(scope, options, signal)),
    [scope, options.includeImages, options.format],
  );
  const hintId = useId();
  const jobHintId = useId();
  const sendToId = useId();

  // A selection runs as a job; a single scope when the server recommends it. Until the
  // estimate says which, the button waits (a failed estimate keeps the direct link).
  const asJob = batch || (!estimate.loading && estimate.data?.asJob === true);
  const deciding = !batch && estimate.loading;

  function update(next: Partial<ExportOptions>) {
    setOptions((current) => ({ ...current, ...next }));
    setProgress({ kind: "idle" });
  }

  async function exportData() {
    setProgress({ kind: "requesting" });
    try {
      if (asJob) {
        const job = await createExportJob(scope, options, destination);
        onJobStarted(job.id);
        return;
      }
      const link = await createDownloadLink(scope as SingleExportScope, options);
      startDownload(link.url);
      setProgress({ kind: "started" });
    } catch (reason) {
      setProgress({
        kind: "failed",
        error: reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason)),
      });
    }
  }

  const jsonOnly = options.format === "json";
  const disc = options.format === "media";
  const primary = asJob ? "Start export job" : "Export Data";
  return (
    <Dialog
      title="Export"
      subtitle={
        <>
          <span className="scope-kind">{scopeNames[scope.kind]}</span> {scope.label}
        </>
      }
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            {progress.kind === "started" ? "Close" : "Cancel"}
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={exportData}
            disabled={progress.kind === "requesting" || deciding || options.deidentify?.project === ""}
            aria-describedby={asJob ? jobHintId : undefined}
          >
            {progress.kind === "requesting" ? (asJob ? "Starting…" : "Preparing…") : primary}
          </button>
        </>
      }
    >
      <fieldset className="options">
        <legend>Options</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={(options.includeImages && !jsonOnly) || disc}
            disabled={jsonOnly || disc}
            aria-describedby={hintId}
            onChange={(event) => update({ includeImages: event.target.checked })}
          />
          <span>Include DICOM images and previews</span>
        </label>
        <div role="radiogroup" aria-label="Format" className="radios">
          <span className="radios-label" aria-hidden="true">
            Format
          </span>
          <label className="radio">
            <input
              type="radio"
              name="format"
              value="zip"
              checked={options.format === "zip"}
              onChange={() => update({ format: "zip" })}
            />
            <span>ZIP archive</span>
          </label>
          <label className="radio">
            <input type="radio" name="format" value="json" checked={jsonOnly} onChange={() => update({ format: "json" })} />
            <span>JSON only</span>
          </label>
          {scope.kind !== "all" && (
            <label className="radio">
              <input type="radio" name="format" value="media" checked={disc} onChange={() => update({ format: "media" })} />
              <span>Patient disc (DICOMDIR)</span>
            </label>
          )}
        </div>
        <p id={hintId} className="hint">
          {jsonOnly
            ? "JSON only: the metadata document alone, without images."
            : disc
              ? "A ZIP laid out as a patient disc (IHE PDI): DICOMDIR, the DICOM files, and INDEX.HTM with previews that opens in any browser."
              : options.includeImages
              ? "The ZIP holds the DICOM files, a PNG preview of every frame and the metadata."
              : "The ZIP holds the metadata only."}
        </p>
      </fieldset>

      <DeidentifySection value={options.deidentify} onChange={(deidentify) => update({ deidentify })} />

      <section className="details" aria-labelledby={`${hintId}-details`} aria-busy={estimate.loading}>
        <h3 id={`${hintId}-details`}>Export details</h3>
        {estimate.error ? (
          <ErrorNotice error={estimate.error} onRetry={estimate.reload} />
        ) : batch && !estimate.loading && estimate.data === null ? (
          <p className="hint">
            Not estimated for more than {count(batchEstimateLimit)} selected items: the job shows its size once it is
            planned.
          </p>
        ) : (
          <EstimateList estimate={estimate.loading ? undefined : (estimate.data ?? undefined)} />
        )}
        {batch && !estimate.error && estimate.data && (
          <p className="hint">
            The sum of the estimates of each selected {scope.kind === "patients" ? "patient" : "study"}.
          </p>
        )}
      </section>

      {asJob && destinations.data && destinations.data.length > 0 && (
        <div className="field send-to">
          <label htmlFor={sendToId}>Send to…</label>
          <select
            id={sendToId}
            value={destination === null ? "" : String(destination)}
            onChange={(event) => setDestination(event.target.value === "" ? null : Number(event.target.value))}
          >
            <option value="">Nowhere: download it from the Jobs page</option>
            {destinations.data.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
        </div>
      )}

      {asJob && (
        <p id={jobHintId} className="notice notice-info">
          {batch
            ? "The selection is exported as one archive by an export job on the server. "
            : "The server runs an export of this size as an export job. "}
          {destination === null
            ? "Follow its progress on the Jobs page and download the archive there when it is done; an interrupted download can be resumed from the browser's downloads."
            : "Follow its progress on the Jobs page: once written, the archive is sent to the chosen destination, and it can still be downloaded there."}
        </p>
      )}

      <div aria-live="polite">
        {progress.kind === "started" && (
          <p className="notice notice-success" role="status">
            Your download has started. Follow its progress in the browser's downloads.
          </p>
        )}
        {progress.kind === "failed" && <ErrorNotice error={progress.error} />}
      </div>
    </Dialog>
  );
}

// Each value carries the API's raw number in data-value, so tests compare it exactly.
// The DICOM/preview split shows only when the server gives it.
function EstimateList({ estimate }: { estimate: ExportEstimate | undefined }) {
  const rows: [string, keyof ExportEstimate, (value: number) => string][] = [
    ["Studies", "studies", count],
    ["Instances", "instances", count],
    ["DICOM data", "dicomBytes", (value) => `${bytes(value)} (${count(value)} bytes)`],
  ];
  if (estimate?.estimatedDicomBytes !== undefined && estimate.estimatedPreviewBytes !== undefined) {
    rows.push(
      ["Estimated DICOM files", "estimatedDicomBytes", (value) => `≈ ${bytes(value)}`],
      ["Estimated previews", "estimatedPreviewBytes", (value) => `≈ ${bytes(value)}`],
    );
  }
  rows.push(["Estimated download", "estimatedBytes", (value) => `≈ ${bytes(value)}`]);
  return (
    <dl className="facts">
      {rows.map(([term, key, show]) => {
        const value = estimate ? Number(estimate[key]) : undefined;
        return (
          <div key={key} className="fact">
            <dt>{term}</dt>
            <dd data-key={key} data-value={value}>
              {value === undefined ? "…" : show(value)}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
