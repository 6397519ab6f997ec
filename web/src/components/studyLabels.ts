// How a study is named on buttons and in the Export dialog.
import type { Study } from "../api";
import { dicomDate, dicomTime, personName } from "../format";

export function studyName(study: Study): string {
  const description = study.studyDescription.trim();
  const when = [dicomDate(study.studyDate), study.studyTime ? dicomTime(study.studyTime) : ""].filter(Boolean).join(" ");
  if (description && when) return `${description}, ${when}`;
  return description || when || study.studyInstanceUID;
}

export function hasAi(study: Study): boolean {
  return study.aiAnalysis !== null && study.aiAnalysis !== undefined;
}

/** The Export dialog's subtitle for a study: the study and its patient. */
export function studyExportLabel(study: Study): string {
  return `${studyName(study)} — ${personName(study.patientName)} (${study.patientID || "no patient ID"})`;
}
