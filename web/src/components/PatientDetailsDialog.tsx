// Patient Details: the patient's demographics and a card per study, each with its
// thumbnail and a download button that opens the Export dialog for that study, and a
// toggle that shows the study's series, each exportable on its own.
import { useId, useState } from "react";
import { patientStudies, type Patient, type Study } from "../api";
import { dicomDate, personName, plural, sexLabel } from "../format";
import { useResource } from "../hooks";
import { useOpenExport } from "../exportContext";
import { Dialog } from "./Dialog";
import { AiBadge } from "./AiBadge";
import { DownloadIcon } from "./DownloadIcon";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { SeriesList } from "./SeriesList";
import { hasAi, studyExportLabel, studyName } from "./studyLabels";
import { Thumbnail } from "./Thumbnail";
import { patientLabel } from "./PatientsPage";

export function PatientDetailsDialog({ patient, onClose }: { patient: Patient; onClose: () => void }) {
  const studies = useResource((signal) => patientStudies(patient.patientID, signal), [patient.patientID]);
  const openExport = useOpenExport();
  return (
    <Dialog
      title="Patient Details"
      wide
      onClose={onClose}
      subtitle={
        <>
          <strong>{personName(patient.patientName)}</strong>
          <span className="mono"> · ID {patient.patientID || "none"}</span>
          {/* Unknown parts are left out, not shown as "—". */}
          {patient.birthDate.trim() && <span> · born {dicomDate(patient.birthDate)}</span>}
          {sexLabel(patient.sex) && <span> · {sexLabel(patient.sex)}</span>}
          <span> · {plural(patient.studyCount, "study", "studies")}</span>
        </>
      }
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={() => openExport({ kind: "patient", patientID: patient.patientID, label: patientLabel(patient) })}
          >
            Export Data
          </button>
        </>
      }
    >
      {studies.error && <ErrorNotice error={studies.error} onRetry={studies.reload} />}
      {studies.loading && <Loading what="studies" />}
      {studies.data && studies.data.length === 0 && <Empty>This patient has no studies.</Empty>}
      {studies.data && studies.data.length > 0 && (
        <ul className="study-cards" aria-label="Studies">
          {studies.data.map((study) => (
            <li key={study.studyInstanceUID}>
              <StudyCard study={study} onExport={() => openExport({ kind: "study", studyUID: study.studyInstanceUID, label: studyExportLabel(study) })} />
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}

function StudyCard({ study, onExport }: { study: Study; onExport: () => void }) {
  const name = studyName(study);
  const [showSeries, setShowSeries] = useState(false);
  const seriesId = useId();
  return (
    <>
    <article className="card study-card" aria-label={name} data-uid={study.studyInstanceUID}>
      <Thumbnail studyUID={study.studyInstanceUID} name={name} />
      <div className="study-card-text">
        <h3 className="card-title">
          {study.studyDescription || <span className="muted">No description</span>}
          {hasAi(study) && <AiBadge study={study} />}
        </h3>
        <p className="small">
          {study.studyDate.trim() && <>{dicomDate(study.studyDate)} · </>}
          {study.modality && <><span className="modality">{study.modality}</span> · </>}
          {plural(study.numberOfSeries, "series", "series")} · {plural(study.numberOfInstances, "instance")}
        </p>
        <p className="small muted mono uid" title={study.studyInstanceUID}>
          {study.studyInstanceUID}
        </p>
      </div>
      <button
        type="button"
        className="button button-small"
        aria-expanded={showSeries}
        aria-controls={showSeries ? seriesId : undefined}
        aria-label={`Series of study ${name}`}
        onClick={() => setShowSeries((shown) => !shown)}
      >
        {showSeries ? "Hide series" : "Series"}
      </button>
      <button type="button" className="icon-button icon-button-accent" onClick={onExport} aria-label={`Download study ${name}`} title="Export this study">
        <DownloadIcon />
      </button>
    </article>
    {showSeries && <SeriesList study={study} id={seriesId} />}
    </>
  );
}
