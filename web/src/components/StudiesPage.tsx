// Studies: a dense table, sorted, filtered and paged by the server, with a thumbnail, an
// AI badge and a download button (opening the Export dialog) per study. A row's checkbox
// (and the header's, for the whole page) adds it to the selection, which "Export
// selected" exports as one batch job.
import { useState } from "react";
import { listStudies, type Study, type StudySort } from "../api";
import { count, dicomDate, dicomTime, personName, plural } from "../format";
import { useDebounced, useResource } from "../hooks";
import { useOpenExport } from "../exportContext";
import { useSelection, type Selection } from "../selection";
import { PageCheckbox, SelectionBar } from "./Selection";
import { AiBadge } from "./AiBadge";
import { DownloadIcon } from "./DownloadIcon";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";
import { hasAi, studyExportLabel, studyName } from "./studyLabels";
import { Thumbnail } from "./Thumbnail";

// The modalities of DICOM PS3.3 C.7.3.1.1.1 that an export server meets in practice.
const modalities = [
  "CR", "CT", "DX", "ECG", "ES", "IO", "MG", "MR", "NM", "OT", "PT", "PX", "RF",
  "RTDOSE", "RTIMAGE", "RTPLAN", "RTSTRUCT", "SC", "SEG", "SR", "US", "XA",
];

type Column = "date" | "patient" | "modality" | "description";

function sortFor(column: Column, current: StudySort): StudySort {
  if (column === "date") return current === "date-desc" ? "date-asc" : "date-desc";
  return column;
}

function ariaSort(column: Column, sort: StudySort): "ascending" | "descending" | undefined {
  if (column === "date") return sort === "date-desc" ? "descending" : sort === "date-asc" ? "ascending" : undefined;
  return sort === column ? "ascending" : undefined;
}

export function StudiesPage() {
  const [search, setSearch] = useState("");
  const [modality, setModality] = useState("");
  const [sort, setSort] = useState<StudySort>("date-desc");
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(25);
  const query = useDebounced(search.trim(), 300);
  const studies = useResource(
    (signal) => listStudies({ search: query, modality, sort, offset, limit }, signal),
    [query, modality, sort, offset, limit],
  );
  const page = studies.data;
  const selection = useSelection();
  const openExport = useOpenExport();
  const pageRows: [string, string][] = (page?.items ?? []).map((s) => [s.studyInstanceUID, studyExportLabel(s)]);

  function exportSelected() {
    const uids = [...selection.items.keys()];
    openExport({
      kind: "studies",
      studyUIDs: uids,
      label: uids.length === 1 ? [...selection.items.values()][0] : plural(uids.length, "selected study", "selected studies"),
    });
  }

  const header = (column: Column, label: string) => {
    const state = ariaSort(column, sort);
    return (
      <th scope="col" aria-sort={state}>
        <button
          type="button"
          className="sort"
          onClick={() => {
            setSort(sortFor(column, sort));
            setOffset(0);
          }}
        >
          {label}
          <span className="sort-mark" aria-hidden="true">
            {state === "ascending" ? "▲" : state === "descending" ? "▼" : "↕"}
          </span>
        </button>
      </th>
    );
  };

  return (
    <section className="page" aria-labelledby="studies-title">
      <div className="page-head">
        <h1 id="studies-title">Studies</h1>
        <div className="toolbar">
          <label className="search">
            <span className="visually-hidden">Search studies by patient, ID or description</span>
            <input
              type="search"
              placeholder="Search patient, ID, description"
              value={search}
              onChange={(event) => {
                setSearch(event.target.value);
                setOffset(0);
              }}
            />
          </label>
          <label className="inline-field">
            <span>Modality</span>
            <select
              value={modality}
              onChange={(event) => {
                setModality(event.target.value);
                setOffset(0);
              }}
            >
              <option value="">All</option>
              {modalities.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </label>
          {studies.loading && page && <span className="spinner" role="status" aria-label="Loading studies" />}
        </div>
      </div>

      {studies.error && <ErrorNotice error={studies.error} onRetry={studies.reload} />}
      {!page && studies.loading && <Loading what="studies" />}
      {page && page.items.length === 0 && !studies.error && (
        <Empty>{query || modality ? "No study matches these filters." : "No studies in this hospital yet."}</Empty>
      )}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className={studies.loading ? "table stale" : "table"} aria-labelledby="studies-title">
            <thead>
              <tr>
                <th scope="col" className="col-select">
                  <PageCheckbox selection={selection} rows={pageRows} label="Select all studies on this page" />
                </th>
                <th scope="col" className="col-thumb">
                  <span className="visually-hidden">Preview</span>
                </th>
                {header("date", "Date")}
                <th scope="col">Time</th>
                {header("patient", "Patient")}
                {header("modality", "Modality")}
                {header("description", "Description")}
                <th scope="col" className="num">
                  Series
                </th>
                <th scope="col" className="num">
                  Instances
                </th>
                <th scope="col">
                  <span className="visually-hidden">Export</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((study) => (
                <StudyRow key={study.studyInstanceUID} study={study} selection={selection} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > 0 && (
        <Pager
          label="Studies"
          offset={offset}
          limit={limit}
          total={page.total}
          onOffset={setOffset}
          onLimit={setLimit}
        />
      )}
      <SelectionBar selection={selection} one="study" many="studies" onExport={exportSelected} />
    </section>
  );
}

function StudyRow({ study, selection }: { study: Study; selection: Selection }) {
  const openExport = useOpenExport();
  const name = studyName(study);
  const selected = selection.has(study.studyInstanceUID);
  return (
    <tr data-uid={study.studyInstanceUID} className={selected ? "selected" : undefined}>
      <td className="col-select">
        <label className="check">
          <input
            type="checkbox"
            checked={selected}
            onChange={(event) => selection.set([[study.studyInstanceUID, studyExportLabel(study)]], event.target.checked)}
          />
          <span className="visually-hidden">Select study {name}</span>
        </label>
      </td>
      <td className="col-thumb">
        <Thumbnail studyUID={study.studyInstanceUID} name={name} />
      </td>
      <td className="nowrap" data-label="Date">{dicomDate(study.studyDate) || "—"}</td>
      <td className="nowrap" data-label="Time">{study.studyTime ? dicomTime(study.studyTime) : "—"}</td>
      <td>
        <div>{personName(study.patientName)}</div>
        <div className="small muted mono">{study.patientID || "no ID"}</div>
      </td>
      <td>
        {study.modality ? <span className="modality">{study.modality}</span> : <span className="muted">—</span>}
      </td>
      <td>
        {study.studyDescription || <span className="muted">—</span>}
        {hasAi(study) && <AiBadge study={study} />}
      </td>
      <td className="num" data-label="Series">{count(study.numberOfSeries)}</td>
      <td className="num" data-label="Instances">{count(study.numberOfInstances)}</td>
      <td className="col-action">
        <button
          type="button"
          className="icon-button icon-button-accent"
          aria-label={`Download study ${name}`}
          title="Export this study"
          onClick={() => openExport({ kind: "study", studyUID: study.studyInstanceUID, label: studyExportLabel(study) })}
        >
          <DownloadIcon />
        </button>
      </td>
    </tr>
  );
}
