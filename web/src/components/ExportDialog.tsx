// The one Export dialog: options (images and previews, ZIP or JSON), the details the
// estimate endpoint gives for them, and the primary action, which is one of two:
//
// - "Export Data" (a patient, a study or the hospital, when the estimate does not say
//   asJob): asks the server for a short-lived single-use download URL and hands it to the
//   browser's download manager (so the archive streams to disk with the browser's own
//   progress, never through JavaScript memory). The server refuses the link when the
//   export could not run now (busy, a source down); once handed over, the dialog follows
//   the link's status and says whether the download completed or why it failed. Then the
//   button reads "Download again", which makes a new link on purpose.
// - "Start export job" (a selection of patients or studies, which only jobs can export,
//   or an export the estimate says is large enough to run as a job): creates the job and
//   goes to the Jobs page, which follows its progress and downloads its archive.
//   "Send to…" (shown when the hospital has destinations) names where the job then
//   sends the archive; "Nowhere" keeps it for download only.
//
// The format is a ZIP archive, JSON only, or (not for the whole hospital) a patient disc:
// a ZIP laid out as IHE PDI media (DICOMDIR, INDEX.HTM), which always holds the images.
//
// An export of the whole hospital names the hospital and its counts, and with images
// asks for an explicit confirmation first.
//
// Errors of any call (403, 404, 503, server down) show here.
import { useId, useState, type ReactNode } from "react";
import {
  ApiError,
  createDownloadLink,
  createExportJob,
  exportEstimate,
  isBatch,
  listPatients,
  type ExportEstimate,
  type ExportOptions,
  type ExportScope,
  type SingleExportScope,
  withImages,
} from "../api";
import { listDestinations } from "../destinationsApi";
import { startDownload } from "../download";
import { bytes, count } from "../format";
import { useResource } from "../hooks";
import { useLinkOutcome } from "../linkOutcome";
import { useSession } from "../session";
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
  | { kind: "started"; statusUrl: string }
  | { kind: "failed"; error: ApiError };

/** The ZIP's deflate levels offered; "" keeps the server's default. */
const compressionLevels: [string, string][] = [
  ["", "Server default"],
  ["0", "None: stored, fastest"],
  ["1", "Fast"],
  ["6", "Balanced"],
  ["9", "Smallest, slowest"],
];

interface Props {
  scope: ExportScope;
  onClose: () => void;
  /** A job was created: the workspace closes the dialog and shows the Jobs page. */
  onJobStarted: (jobID: string) => void;
}

export function ExportDialog({ scope, onClose, onJobStarted }: Props) {
  // A whole-hospital export defaults to metadata only, as the API does.
  const [options, setOptions] = useState<ExportOptions>({ includeImages: scope.kind !== "all", format: "zip", previews: true });
  const [progress, setProgress] = useState<Progress>({ kind: "idle" });
  const [destination, setDestination] = useState<number | null>(null);
  const [confirmedAll, setConfirmedAll] = useState(false);
  const hospital = useSession().session?.user.hospital ?? "";
  const outcome = useLinkOutcome(progress.kind === "started" ? progress.statusUrl : null);
  const batch = isBatch(scope);
  // Every user may list the hospital's destinations; without them there is no "Send to…".
  const destinations = useResource((signal) => listDestinations(signal).catch(() => []), []);
  const estimate = useResource(
    (signal) => (isBatch(scope) ? batchEstimate(scope, options, signal) : exportEstimate(scope, options, signal)),
    [scope, options.includeImages, options.format, options.previews, options.compression],
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
    setConfirmedAll(false);
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
      setProgress({ kind: "started", statusUrl: link.statusUrl });
    } catch (reason) {
      setProgress({
        kind: "failed",
        error: reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason)),
      });
    }
  }

  const jsonOnly = options.format === "json";
  const disc = options.format === "media";
  const images = withImages(options);
  // Whole-hospital exports with images wait for an explicit confirmation.
  const needsConfirmation = scope.kind === "all" && images && !confirmedAll;
  const linkState = progress.kind === "started" ? (outcome.status?.state ?? "pending") : null;
  const downloading = linkState === "pending" || linkState === "streaming";
  const ended = progress.kind === "started" && !downloading;
  const primary = asJob ? "Start export job" : ended ? "Download again" : "Export Data";
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
            disabled={
              progress.kind === "requesting" ||
              downloading ||
              deciding ||
              needsConfirmation ||
              options.deidentify?.project === ""
            }
            aria-describedby={asJob ? jobHintId : undefined}
          >
            {progress.kind === "requesting" ? (asJob ? "Starting…" : "Preparing…") : downloading ? "Downloading…" : primary}
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
        {options.format === "zip" && options.includeImages && (
          <label className="check">
            <input
              type="checkbox"
              checked={options.previews !== false}
              onChange={(event) => update({ previews: event.target.checked })}
            />
            <span>PNG previews of every frame</span>
          </label>
        )}
        {!jsonOnly && (
          <label className="field compression">
            <span>Compression</span>
            <select
              value={options.compression === undefined ? "" : String(options.compression)}
              onChange={(event) =>
                update({ compression: event.target.value === "" ? undefined : Number(event.target.value) })
              }
            >
              {compressionLevels.map(([value, name]) => (
                <option key={value} value={value}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
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
          <EstimateList estimate={estimate.loading ? undefined : (estimate.data ?? undefined)} images={images} />
        )}
        {batch && !estimate.error && estimate.data && (
          <p className="hint">
            The sum of the estimates of each selected {scope.kind === "patients" ? "patient" : "study"}.
          </p>
        )}
      </section>

      {scope.kind === "all" && (
        <WholeHospital
          hospital={hospital}
          estimate={estimate.loading ? undefined : (estimate.data ?? undefined)}
          images={images}
          confirmed={confirmedAll}
          onConfirm={setConfirmedAll}
        />
      )}

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
        {downloading && (
          <p className="notice notice-info" role="status">
            Your download has started. Follow its progress in the browser's downloads.
          </p>
        )}
        {linkState === "completed" && (
          <p className="notice notice-success" role="status">
            Download complete: the browser has the whole file.
          </p>
        )}
        {linkState === "failed" && (
          <p className="notice notice-error download-failed" role="alert">
            The download failed: {(outcome.status?.error?.message ?? "the server did not say why").replace(/\.$/, "")}.
          </p>
        )}
        {linkState === "expired" && (
          <p className="notice notice-error" role="alert">
            The browser did not start the download before its link expired (are downloads blocked for this site?).
          </p>
        )}
        {outcome.error && <ErrorNotice error={outcome.error} />}
        {progress.kind === "failed" && <ErrorNotice error={progress.error} />}
      </div>
    </Dialog>
  );
}

// Each value carries the API's raw number in data-value, so tests compare it exactly.
// The DICOM row says whether the files are included; the download's size is the
// server's estimate of the archive with these options, split into its DICOM files and
// previews when it holds them.
function EstimateList({ estimate, images }: { estimate: ExportEstimate | undefined; images: boolean }) {
  const size = (value: number) => <span title={`${count(value)} bytes`}>{bytes(value)}</span>;
  const rows: [string, keyof ExportEstimate, (value: number) => ReactNode][] = [
    ["Studies", "studies", count],
    ["Instances", "instances", count],
    images
      ? ["DICOM files (as stored)", "dicomBytes", size]
      : ["DICOM files", "dicomBytes", () => "not included (metadata only)"],
    ["Estimated download", "estimatedBytes", (value) => <DownloadSize total={value} estimate={estimate} images={images} />],
  ];
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

/** "about 12 MB: DICOM 10 MB, previews 2 MB"; the parts carry their raw numbers too. */
function DownloadSize({ total, estimate, images }: { total: number; estimate: ExportEstimate | undefined; images: boolean }) {
  const dicom = estimate?.estimatedDicomBytes;
  const previews = estimate?.estimatedPreviewBytes;
  return (
    <>
      <span title={`${count(total)} bytes`}>about {bytes(total)}</span>
      {images && dicom !== undefined && previews !== undefined && (
        <>
          {": "}
          <span data-key="estimatedDicomBytes" data-value={dicom}>
            DICOM {bytes(dicom)}
          </span>
          {previews > 0 && (
            <>
              {", "}
              <span data-key="estimatedPreviewBytes" data-value={previews}>
                previews {bytes(previews)}
              </span>
            </>
          )}
        </>
      )}
    </>
  );
}

interface WholeHospitalProps {
  hospital: string;
  estimate: ExportEstimate | undefined;
  images: boolean;
  confirmed: boolean;
  onConfirm: (confirmed: boolean) => void;
}

/** What an export of the whole hospital holds, and, with images, the confirmation it needs. */
function WholeHospital({ hospital, estimate, images, confirmed, onConfirm }: WholeHospitalProps) {
  const patients = useResource((signal) => listPatients({ offset: 0, limit: 1 }, signal), []);
  const counted = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`;
  const counts =
    estimate && patients.data
      ? `${counted(patients.data.total, "patient", "patients")}, ${counted(estimate.studies, "study", "studies")}, ${counted(estimate.instances, "instance", "instances")}`
      : "…";
  return (
    <div className="notice notice-warning whole-hospital" role="group" aria-label="Whole-hospital export">
      <p>
        This exports every patient of <strong>{hospital}</strong>: {counts}
        {images ? ", with their DICOM images." : ", metadata only."}
      </p>
      {images && (
        <label className="check">
          <input type="checkbox" checked={confirmed} onChange={(event) => onConfirm(event.target.checked)} />
          <span>I confirm exporting the images of every patient of {hospital}</span>
        </label>
      )}
    </div>
  );
}
