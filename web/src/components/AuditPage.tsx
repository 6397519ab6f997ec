// Audit log (admins): every export attempt of the hospital, newest first, filtered and
// paged by the server. The filters live in the URL's query (a reload or a shared link
// keeps them); the records they match download as CSV or JSON lines. A row opens the
// record in full. The page names the key that signs the audit's hash chain.
import { useEffect, useState } from "react";
import { ApiError, auditExport, auditPublicKey, listAudit, type AuditFilters, type AuditRecord } from "../api";
import { saveBlob } from "../download";
import { bytes, count, timestamp } from "../format";
import { useDebounced, useResource } from "../hooks";
import { auditTarget, channelText, durationText, outcomeNames, scopeNames, scopeText } from "./auditLabels";
import { AuditRecordDialog, OutcomeBadge } from "./AuditRecordDialog";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";

/** The filters as the form and the URL hold them: dates as YYYY-MM-DD, local time. */
interface FilterForm {
  from: string;
  to: string;
  user: string;
  outcome: string;
  scope: string;
  patientId: string;
  studyUid: string;
}

const noFilters: FilterForm = { from: "", to: "", user: "", outcome: "", scope: "", patientId: "", studyUid: "" };
const filterKeys = Object.keys(noFilters) as (keyof FilterForm)[];

function filtersFromUrl(): FilterForm {
  const params = new URLSearchParams(window.location.search);
  const form = { ...noFilters };
  for (const key of filterKeys) form[key] = params.get(key) ?? "";
  return form;
}

function writeFiltersToUrl(form: FilterForm): void {
  const params = new URLSearchParams();
  for (const key of filterKeys) if (form[key]) params.set(key, form[key]);
  const query = params.toString();
  window.history.replaceState(window.history.state, "", `${window.location.pathname}${query ? `?${query}` : ""}`);
}

/** The start of a local day (plus `days`) as the server's ISO time; "" for no date. */
function dayStart(date: string, days = 0): string {
  if (!date) return "";
  const day = new Date(`${date}T00:00:00`);
  if (Number.isNaN(day.getTime())) return "";
  day.setDate(day.getDate() + days);
  return day.toISOString();
}

function apiFilters(form: FilterForm): AuditFilters {
  return {
    since: dayStart(form.from),
    until: dayStart(form.to, 1), // the server's until is exclusive: the whole "to" day counts
    user: form.user.trim(),
    outcome: form.outcome,
    scope: form.scope,
    patientId: form.patientId.trim(),
    studyUid: form.studyUid.trim(),
  };
}

type ExportState = { kind: "idle" } | { kind: "busy" } | { kind: "failed"; error: ApiError };

export function AuditPage() {
  const [form, setForm] = useState(filtersFromUrl);
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(50);
  const [open, setOpen] = useState<AuditRecord | null>(null);
  const [exporting, setExporting] = useState<ExportState>({ kind: "idle" });
  const applied = useDebounced(form, 300);
  const filters = apiFilters(applied);
  const filtersKey = JSON.stringify(filters);
  useEffect(() => writeFiltersToUrl(applied), [applied]);
  const audit = useResource((signal) => listAudit({ ...filters, offset, limit }, signal), [filtersKey, offset, limit]);
  const key = useResource((signal) => auditPublicKey(signal), []);
  const page = audit.data;
  const filtered = filterKeys.some((name) => form[name] !== "");

  function change(name: keyof FilterForm, value: string) {
    setForm((current) => ({ ...current, [name]: value }));
    setOffset(0);
  }

  async function download(format: "csv" | "jsonl") {
    setExporting({ kind: "busy" });
    try {
      const { blob, name } = await auditExport(format, filters);
      saveBlob(blob, name);
      setExporting({ kind: "idle" });
    } catch (reason) {
      setExporting({ kind: "failed", error: reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason)) });
    }
  }

  const text = (name: keyof FilterForm, label: string, placeholder: string) => (
    <label className="filter">
      <span>{label}</span>
      <input type="search" placeholder={placeholder} value={form[name]} onChange={(event) => change(name, event.target.value)} />
    </label>
  );

  // A filter chosen among `names` (value → label), or "All".
  const choice = (name: keyof FilterForm, label: string, names: Record<string, string>) => (
    <label className="filter">
      <span>{label}</span>
      <select value={form[name]} onChange={(event) => change(name, event.target.value)}>
        <option value="">All</option>
        {Object.entries(names).map(([value, shown]) => (
          <option key={value} value={value}>
            {shown}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="page-head">
        <div>
          <h1 id="audit-title">Audit log</h1>
          {key.data && (
            <p className="page-note small muted" title={`${key.data.algorithm} public key ${key.data.publicKey}`}>
              Records signed by key <span className="mono">{key.data.keyId}</span> ({key.data.algorithm})
            </p>
          )}
        </div>
        <div className="toolbar">
          <button type="button" className="button button-small" onClick={() => download("csv")} disabled={exporting.kind === "busy"}>
            Export CSV
          </button>
          <button type="button" className="button button-small" onClick={() => download("jsonl")} disabled={exporting.kind === "busy"}>
            Export JSON lines
          </button>
          <button type="button" className="button button-small" onClick={audit.reload}>
            Refresh
          </button>
        </div>
      </div>

      <form className="filters" aria-label="Audit filters" onSubmit={(event) => event.preventDefault()}>
        <label className="filter">
          <span>From</span>
          <input type="date" value={form.from} onChange={(event) => change("from", event.target.value)} />
        </label>
        <label className="filter">
          <span>To</span>
          <input type="date" value={form.to} onChange={(event) => change("to", event.target.value)} />
        </label>
        {text("user", "User", "User name")}
        {choice("outcome", "Outcome", outcomeNames)}
        {choice("scope", "Scope", scopeNames)}
        {text("patientId", "Patient ID", "Patient ID")}
        {text("studyUid", "Study UID", "Study Instance UID")}
        <button
          type="button"
          className="button button-small filters-clear"
          onClick={() => {
            setForm(noFilters);
            setOffset(0);
          }}
          disabled={!filtered}
        >
          Clear filters
        </button>
      </form>

      {exporting.kind === "failed" && <ErrorNotice error={exporting.error} />}
      {audit.error && <ErrorNotice error={audit.error} onRetry={audit.reload} />}
      {!page && audit.loading && <Loading what="the audit log" />}
      {page && page.items.length === 0 && !audit.error && (
        <Empty>{filtered ? "No record matches these filters." : "No exports have been made yet."}</Empty>
      )}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className={audit.loading ? "table audit-table stale" : "table audit-table"} aria-labelledby="audit-title">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Scope</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Instances
                </th>
                <th scope="col" className="num">
                  Duration
                </th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((record) => (
                <AuditRow key={record.id} record={record} onOpen={() => setOpen(record)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > 0 && (
        <Pager
          label="Audit log"
          offset={offset}
          limit={limit}
          total={page.total}
          onOffset={setOffset}
          onLimit={setLimit}
          sizes={[50, 100, 250]}
        />
      )}
      {open && <AuditRecordDialog record={open} onClose={() => setOpen(null)} />}
    </section>
  );
}

function AuditRow({ record, onOpen }: { record: AuditRecord; onOpen: () => void }) {
  const target = auditTarget(record);
  const channel = channelText(record.endpoint);
  // A click anywhere on the row opens the record; the first cell's button (whose click
  // bubbles up to the row) is the way there for the keyboard.
  return (
    <tr className="audit-row" data-record-id={record.id} onClick={onOpen}>
      <td className="audit-when nowrap">
        <button type="button" className="link-button" aria-haspopup="dialog">
          {timestamp(record.startedAt)}
          <span className="visually-hidden">, details of record {record.id}</span>
        </button>
      </td>
      <td className="audit-user nowrap">
        {record.username}
        <div className="small muted">{record.role}</div>
      </td>
      <td className="audit-scope nowrap">
        {scopeText(record) || <span className="muted">—</span>}
        {channel && <div className="small muted audit-channel">{channel}</div>}
      </td>
      <td className="audit-target target" title={target}>
        {target}
      </td>
      <td className="audit-outcome">
        <OutcomeBadge outcome={record.outcome} />
        {record.detail && <div className="small muted detail">{record.detail}</div>}
      </td>
      <td className="audit-size num nowrap" data-label="Size" title={`${count(record.bytesSent)} bytes`}>
        {bytes(record.bytesSent)}
      </td>
      <td className="audit-instances num" data-label="Instances">
        {count(record.instances)}
      </td>
      <td className="audit-duration num nowrap" data-label="Duration">
        {durationText(record.durationMs)}
      </td>
    </tr>
  );
}
