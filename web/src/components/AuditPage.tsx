// Audit log (admins): every export attempt of the hospital, newest first, filtered by
// outcome and user on the server and paged.
import { useState } from "react";
import { listAudit, type AuditRecord } from "../api";
import { bytes, count, timestamp } from "../format";
import { useDebounced, useResource } from "../hooks";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";

const outcomes = ["success", "denied", "failed", "aborted"] as const;

function parameterText(parameters: Record<string, unknown>): string {
  const parts: string[] = [];
  if (parameters.format) parts.push(String(parameters.format).toUpperCase());
  if (parameters.includeImages !== undefined) parts.push(parameters.includeImages ? "with images" : "metadata only");
  return parts.join(", ");
}

export function AuditPage() {
  const [outcome, setOutcome] = useState("");
  const [user, setUser] = useState("");
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(50);
  const userQuery = useDebounced(user.trim(), 300);
  const audit = useResource((signal) => listAudit({ outcome, user: userQuery, offset, limit }, signal), [outcome, userQuery, offset, limit]);
  const page = audit.data;

  return (
    <section className="page" aria-labelledby="audit-title">
      <div className="page-head">
        <h1 id="audit-title">Audit log</h1>
        <div className="toolbar">
          <label className="inline-field">
            <span>Outcome</span>
            <select
              value={outcome}
              onChange={(event) => {
                setOutcome(event.target.value);
                setOffset(0);
              }}
            >
              <option value="">All</option>
              {outcomes.map((value) => (
                <option key={value} value={value}>
                  {value[0].toUpperCase() + value.slice(1)}
                </option>
              ))}
            </select>
          </label>
          <label className="search search-narrow">
            <span className="visually-hidden">Filter by user name</span>
            <input
              type="search"
              placeholder="User name"
              value={user}
              onChange={(event) => {
                setUser(event.target.value);
                setOffset(0);
              }}
            />
          </label>
          <button type="button" className="button button-small" onClick={audit.reload}>
            Refresh
          </button>
        </div>
      </div>

      {audit.error && <ErrorNotice error={audit.error} onRetry={audit.reload} />}
      {!page && audit.loading && <Loading what="the audit log" />}
      {page && page.items.length === 0 && !audit.error && (
        <Empty>{outcome || userQuery ? "No export matches these filters." : "No exports have been made yet."}</Empty>
      )}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className={audit.loading ? "table stale" : "table"} aria-labelledby="audit-title">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">User</th>
                <th scope="col">Export</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="num">
                  Entries
                </th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Client</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((record) => (
                <AuditRow key={record.id} record={record} />
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
    </section>
  );
}

function AuditRow({ record }: { record: AuditRecord }) {
  return (
    <tr>
      <td className="nowrap">{timestamp(record.startedAt)}</td>
      <td className="nowrap">{record.username}</td>
      <td>
        <div className="mono small nowrap">{record.endpoint}</div>
        <div className="small muted">{parameterText(record.parameters)}</div>
      </td>
      <td className="mono small target" title={record.target}>
        {record.target || <span className="muted">—</span>}
      </td>
      <td>
        <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
        {record.detail && <div className="small muted detail">{record.detail}</div>}
      </td>
      <td className="num nowrap" title={`${count(record.bytesSent)} bytes`}>
        {bytes(record.bytesSent)}
      </td>
      <td className="num">{count(record.entries)}</td>
      <td className="num nowrap">{record.durationMs < 1000 ? `${record.durationMs} ms` : `${(record.durationMs / 1000).toFixed(1)} s`}</td>
      <td className="mono small">{record.clientAddress}</td>
    </tr>
  );
}
