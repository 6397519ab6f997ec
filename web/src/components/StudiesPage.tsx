// Studies: a dense table, sorted, filtered and paged by the server, with a thumbnail, an
// AI badge and a download button (opening the Export dialog) per study. The search, the
// filters (StudyFilterBar), the sort and the page live in the URL, so a reload, a shared
// link and Back keep them. A row's checkbox (and the header's, for the whole page) adds it
// to the selection, which "Export selected" exports as one batch job.
import { listStudies, type Study, type StudySort } from "../api";
import { bytes, count, dicomDate, dicomTime, personName, plural } from "../format";
import { useResource } from "../hooks";
import { useOpenExport } from "../exportContext";
import { numberParam, useUrlState, useUrlText } from "../router";
import { useSelection, type Selection } from "../selection";
import { PageCheckbox, SelectionBar } from "./Selection";
import { AiBadge } from "./AiBadge";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";
import { StudyExportButton } from "./StudyExportButton";
import { StudyFilterBar, studyFilterKeys } from "./StudyFilterBar";
import { hasAi, studyExportLabel, studyName } from "./studyLabels";
import { Thumbnail } from "./Thumbnail";

type Column = "date" | "patient" | "modality" | "description";

const sorts: readonly StudySort[] = [
  "date-desc",
  "date-asc",
  "patient",
  "patient-desc",
  "modality",
  "modality-desc",
  "description",
  "description-desc",
];

/** A column's first click sorts ascending (the date: newest first); the next, the other way. */
function sortFor(column: Column, current: StudySort): StudySort {
  if (column === "date") return current === "date-desc" ? "date-asc" : "date-desc";
  return current === column ? `${column}-desc` : column;
}

function ariaSort(column: Column, sort: StudySort): "ascending" | "descending" | undefined {
  if (sort === (column === "date" ? "date-asc" : column)) return "ascending";
  if (sort === `${column}-desc`) return "descending";
  return undefined;
}

export function StudiesPage() {
  const [params, update] = useUrlState();
  const [search, setSearch] = useUrlText(params, update, "search");
  const sortParam = params.get("sort") as StudySort | null;
  const sort: StudySort = sortParam && sorts.includes(sortParam) ? sortParam : "date-desc";
  const offset = numberParam(params.get("offset"), 0);
  const limit = numberParam(params.get("limit"), 25) || 25;
  const filters = {
    search: params.get("search") ?? "",
    studyDateFrom: params.get("studyDateFrom") ?? "",
    studyDateTo: params.get("studyDateTo") ?? "",
    accession: params.get("accession") ?? "",
    birthDate: params.get("birthDate") ?? "",
    modality: params.get("modality") ?? "",
    hasAi: params.get("hasAi") === "true" ? true : undefined,
  };
  const filtered = Boolean(filters.search) || studyFilterKeys.some((key) => params.has(key));
  const studies = useResource(
    (signal) => listStudies({ ...filters, sort, offset, limit }, signal),
    [params.toString()],
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
        <button type="button" className="sort" onClick={() => update({ sort: sortFor(column, sort), offset: null })}>
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
              onChange={(event) => setSearch(event.target.value)}
            />
          </label>
          {studies.loading && page && <span className="spinner" role="status" aria-label="Loading studies" />}
        </div>
      </div>
      <StudyFilterBar params={params} update={update} />

      {studies.error && <ErrorNotice error={studies.error} onRetry={studies.reload} />}
      {!page && studies.loading && <Loading what="studies" />}
      {page && page.items.length === 0 && !studies.error && (
        <Empty>{filtered ? "No study matches these filters." : "No studies in this hospital yet."}</Empty>
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
                <th scope="col" className="num">
                  Size
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
          onOffset={(next) => update({ offset: next ? String(next) : null })}
          onLimit={(next) => update({ limit: String(next), offset: null })}
        />
      )}
      <SelectionBar selection={selection} one="study" many="studies" onExport={exportSelected} />
    </section>
  );
}

function StudyRow({ study, selection }: { study: Study; selection: Selection }) {
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
      <td className="num nowrap" data-label="Size">{bytes(study.totalBytes)}</td>
      <td className="col-action">
        <StudyExportButton study={study} />
      </td>
    </tr>
  );
}
