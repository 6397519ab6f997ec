// A list row's export button: opens the Export dialog for that one study.
import type { Study } from "../api";
import { useOpenExport } from "../exportContext";
import { DownloadIcon } from "./DownloadIcon";
import { studyExportLabel, studyName } from "./studyLabels";

export function StudyExportButton({ study }: { study: Study }) {
  const openExport = useOpenExport();
  return (
    <button
      type="button"
      className="icon-button icon-button-accent"
      aria-label={`Download study ${studyName(study)}`}
      title="Export this study"
      onClick={() => openExport({ kind: "study", studyUID: study.studyInstanceUID, label: studyExportLabel(study) })}
    >
      <DownloadIcon />
    </button>
  );
}
