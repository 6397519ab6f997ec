// Patients: a card per patient, searched by name or ID on the server (debounced) and paged
// on the server, so thousands of patients cost one page each. A card opens Patient
// Details; its "Export Data" button opens the Export dialog for the whole patient. Its
// checkbox (and "Select all on this page") adds it to the selection, which "Export
// selected" exports as one batch job.
import { useState } from "react";
import { listPatients, type Patient } from "../api";
import { count, dicomDate, personName, plural, sexLabel } from "../format";
import { useDebounced, useResource } from "../hooks";
import { useOpenExport } from "../exportContext";
import { useSelection, type Selection } from "../selection";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";
import { PatientDetailsDialog } from "./PatientDetailsDialog";
import { PageCheckbox, SelectionBar } from "./Selection";

export function PatientsPage() {
  const [search, setSearch] = useState("");
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(24);
  const query = useDebounced(search.trim(), 300);
  const patients = useResource((signal) => listPatients({ search: query, offset, limit }, signal), [query, offset, limit]);
  const [open, setOpen] = useState<Patient | null>(null);
  const selection = useSelection();
  const openExport = useOpenExport();
  const page = patients.data;
  const pageRows: [string, string][] = (page?.items ?? []).map((p) => [p.patientID, patientLabel(p)]);

  function exportSelected() {
    const ids = [...selection.items.keys()];
    openExport({
      kind: "patients",
      patientIDs: ids,
      label: ids.length === 1 ? [...selection.items.values()][0] : `${plural(ids.length, "selected patient")}`,
    });
  }

  return (
    <section className="page" aria-labelledby="patients-title">
      <div className="page-head">
        <h1 id="patients-title">Patients</h1>
        <div className="toolbar">
          <label className="search">
            <span className="visually-hidden">Search patients by name or ID</span>
            <input
              type="search"
              placeholder="Search by name or patient ID"
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
                setOffset(0);
              }}
            />
          </label>
          <PageCheckbox selection={selection} rows={pageRows} label="Select all on this page" visibleLabel className="select-page" />
          {patients.loading && page && <span className="spinner" role="status" aria-label="Loading patients" />}
        </div>
      </div>

      {patients.error && <ErrorNotice error={patients.error} onRetry={patients.reload} />}
      {!page && patients.loading && <Loading what="patients" />}
      {page && page.items.length === 0 && !patients.error && (
        <Empty>{query ? `No patient matches “${query}”.` : "No patients in this hospital yet."}</Empty>
      )}
      {page && page.items.length > 0 && (
        <ul className={patients.loading ? "cards stale" : "cards"} aria-label="Patients">
          {page.items.map((patient) => (
            <li key={patient.patientID}>
              <PatientCard patient={patient} selection={selection} onOpen={() => setOpen(patient)} />
            </li>
          ))}
        </ul>
      )}
      {page && page.total > 0 && (
        <Pager
          label="Patients"
          offset={offset}
          limit={limit}
          total={page.total}
          onOffset={setOffset}
          onLimit={setLimit}
          sizes={[12, 24, 48, 96]}
        />
      )}
      <SelectionBar selection={selection} one="patient" many="patients" onExport={exportSelected} />
      {open && <PatientDetailsDialog patient={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

export function patientLabel(patient: Pick<Patient, "patientName" | "patientID">): string {
  return `${personName(patient.patientName)} (${patient.patientID || "no patient ID"})`;
}

function PatientCard({ patient, selection, onOpen }: { patient: Patient; selection: Selection; onOpen: () => void }) {
  const openExport = useOpenExport();
  const name = personName(patient.patientName);
  const selected = selection.has(patient.patientID);
  return (
    <article className={selected ? "card patient-card selected" : "card patient-card"} aria-label={name}>
      <div className="card-head">
        <label className="card-select">
          <input
            type="checkbox"
            checked={selected}
            onChange={(event) => selection.set([[patient.patientID, patientLabel(patient)]], event.target.checked)}
          />
          <span className="visually-hidden">Select {patientLabel(patient)}</span>
        </label>
        <h2 className="card-title">
          {/* The name's button covers the card (CSS), so a click anywhere opens the details. */}
          <button type="button" className="card-open" onClick={onOpen} aria-label={`Open details of ${patientLabel(patient)}`}>
            {name}
          </button>
        </h2>
        <button
          type="button"
          className="button button-small card-action"
          onClick={() => openExport({ kind: "patient", patientID: patient.patientID, label: patientLabel(patient) })}
          aria-label={`Export Data of ${patientLabel(patient)}`}
        >
          Export Data
        </button>
      </div>
      <dl className="card-facts">
        <div className="span-2">
          <dt>Patient ID</dt>
          <dd className="mono">{patient.patientID || <span className="muted">none</span>}</dd>
        </div>
        <div>
          <dt>Birth date</dt>
          <dd>{dicomDate(patient.birthDate) || "—"}</dd>
        </div>
        <div>
          <dt>Sex</dt>
          <dd>{sexLabel(patient.sex) || "—"}</dd>
        </div>
        <div>
          <dt>Studies</dt>
          <dd>{count(patient.studyCount)}</dd>
        </div>
        <div>
          <dt>Latest study</dt>
          <dd>{dicomDate(patient.latestStudyDate) || "—"}</dd>
        </div>
      </dl>
    </article>
  );
}
