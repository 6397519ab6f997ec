// The one Export dialog: options (images and previews, ZIP or JSON), the details the
// estimate endpoint gives for them, and "Export Data", which asks the server for a
// short-lived single-use download URL and hands it to the browser's download manager
// (so multi-GB archives stream to disk, with the browser's own progress, never through
// JavaScript memory). Errors of either call (403, 404, 503, server down) show here.
import { useId, useState } from "react";
import {
  ApiError,
  createDownloadLink,
  exportEstimate,
  type ExportEstimate,
  type ExportOptions,
  type ExportScope,
} from "../api";
import { bytes, count } from "../format";
import { useResource } from "../hooks";
import { Dialog } from "./Dialog";
import { ErrorNotice } from "./LoadState";

const scopeNames = { patient: "Patient", study: "Study", all: "Whole hospital" } as const;

/** Starts the browser's download of url (same origin; the server names the file). */
function startDownload(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  link.rel = "noopener";
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
}

type Progress = { kind: "idle" } | { kind: "requesting" } | { kind: "started" } | { kind: "failed"; error: ApiError };

export function ExportDialog({ scope, onClose }: { scope: ExportScope; onClose: () => void }) {
  // A whole-hospital export defaults to metadata only, as the API does.
  const [options, setOptions] = useState<ExportOptions>({ includeImages: scope.kind !== "all", format: "zip" });
  const [progress, setProgress] = useState<Progress>({ kind: "idle" });
  const estimate = useResource((signal) => exportEstimate(scope, options, signal), [scope, options.includeImages, options.format]);
  const hintId = useId();

  function update(next: Partial<ExportOptions>) {
    setOptions((current) => ({ ...current, ...next }));
    setProgress({ kind: "idle" });
  }

  async function exportData() {
    setProgress({ kind: "requesting" });
    try {
      const link = await createDownloadLink(scope, options);
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
            disabled={progress.kind === "requesting"}
          >
            {progress.kind === "requesting" ? "Preparing…" : "Export Data"}
          </button>
        </>
      }
    >
      <fieldset className="options">
        <legend>Options</legend>
        <label className="check">
          <input
            type="checkbox"
            checked={options.includeImages && !jsonOnly}
            disabled={jsonOnly}
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
            <input type="radio" name="format" value="zip" checked={!jsonOnly} onChange={() => update({ format: "zip" })} />
            <span>ZIP archive</span>
          </label>
          <label className="radio">
            <input type="radio" name="format" value="json" checked={jsonOnly} onChange={() => update({ format: "json" })} />
            <span>JSON only</span>
          </label>
        </div>
        <p id={hintId} className="hint">
          {jsonOnly
            ? "JSON only: the metadata document alone, without images."
            : options.includeImages
              ? "The ZIP holds the DICOM files, a PNG preview of every frame and the metadata."
              : "The ZIP holds the metadata only."}
        </p>
      </fieldset>

      <section className="details" aria-labelledby={`${hintId}-details`} aria-busy={estimate.loading}>
        <h3 id={`${hintId}-details`}>Export details</h3>
        {estimate.error ? (
          <ErrorNotice error={estimate.error} onRetry={estimate.reload} />
        ) : (
          <EstimateList estimate={estimate.loading ? undefined : estimate.data} />
        )}
      </section>

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
function EstimateList({ estimate }: { estimate: ExportEstimate | undefined }) {
  const rows: [string, keyof ExportEstimate, (value: number) => string][] = [
    ["Studies", "studies", count],
    ["Instances", "instances", count],
    ["DICOM data", "dicomBytes", (value) => `${bytes(value)} (${count(value)} bytes)`],
    ["Estimated download", "estimatedBytes", (value) => `≈ ${bytes(value)}`],
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
