// A study's series in Patient Details: one row per series (number, modality,
// description, instances, size) with a button that opens the Export dialog for that
// series alone. Loaded when the study's series are first shown.
import { studySeries, type Series, type Study } from "../api";
import { bytes, plural } from "../format";
import { useResource } from "../hooks";
import { useOpenExport } from "../exportContext";
import { DownloadIcon } from "./DownloadIcon";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { studyExportLabel } from "./studyLabels";

/** "Series 3 · AX T1", or the Series UID when it has neither number nor description. */
export function seriesName(series: Series): string {
  const parts = [series.seriesNumber === null ? "" : `Series ${series.seriesNumber}`, series.seriesDescription.trim()].filter(Boolean);
  return parts.join(" · ") || series.seriesInstanceUID;
}

export function SeriesList({ study, id }: { study: Study; id: string }) {
  const series = useResource((signal) => studySeries(study.studyInstanceUID, signal), [study.studyInstanceUID]);
  const openExport = useOpenExport();
  return (
    <div id={id} className="series-list">
      {series.error && <ErrorNotice error={series.error} onRetry={series.reload} />}
      {series.loading && <Loading what="series" />}
      {series.data && series.data.length === 0 && <Empty>This study has no series.</Empty>}
      {series.data && series.data.length > 0 && (
        <ul aria-label={`Series of ${study.studyDescription || study.studyInstanceUID}`}>
          {series.data.map((one) => {
            const name = seriesName(one);
            return (
              <li key={one.seriesInstanceUID} className="series-row" data-uid={one.seriesInstanceUID}>
                <span className="series-name">{name}</span>
                <span className="small muted">
                  {one.modality && <span className="modality">{one.modality}</span>} {plural(one.numberOfInstances, "instance")} · {bytes(one.totalBytes)}
                </span>
                <button
                  type="button"
                  className="icon-button icon-button-accent"
                  aria-label={`Export series ${name}`}
                  title="Export this series"
                  onClick={() => openExport({ kind: "series", seriesUID: one.seriesInstanceUID, label: `${name} of ${studyExportLabel(study)}` })}
                >
                  <DownloadIcon />
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
