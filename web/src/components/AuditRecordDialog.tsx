// One audit record in full: who exported what, from where, under which request, with
// which outcome and why, the SHA-256 of what was delivered, its seal in the audit's hash
// chain, and the studies it exported (paged by the server).
import { useId, useState, type ReactNode } from "react";
import { auditStudies, type AuditOutcome, type AuditRecord } from "../api";
import { bytes, count, plural, timestamp } from "../format";
import { useResource } from "../hooks";
import { auditTarget, channelText, durationText, outcomeNames, parameterText, scopeText } from "./auditLabels";
import { Dialog } from "./Dialog";
import { Empty, ErrorNotice, Loading } from "./LoadState";
import { Pager } from "./Pager";

export function OutcomeBadge({ outcome }: { outcome: AuditOutcome }) {
  return <span className={`outcome outcome-${outcome}`}>{outcomeNames[outcome] ?? outcome}</span>;
}

function Fact({ label, children, mono }: { label: string; children: ReactNode; mono?: boolean }) {
  return (
    <div className="record-fact">
      <dt>{label}</dt>
      <dd className={mono ? "mono" : undefined}>{children}</dd>
    </div>
  );
}

const none = <span className="muted">none</span>;

export function AuditRecordDialog({ record, onClose }: { record: AuditRecord; onClose: () => void }) {
  const { seal } = record;
  const options = parameterText(record.parameters);
  return (
    <Dialog
      title={`Audit record ${record.id}`}
      wide
      onClose={onClose}
      subtitle={
        <>
          {record.scope && <span className="scope-kind">{scopeText(record)}</span>} {auditTarget(record)}
        </>
      }
      footer={
        <button type="button" className="button" onClick={onClose}>
          Close
        </button>
      }
    >
      <dl className="record-facts">
        <Fact label="Started">
          <time dateTime={record.startedAt}>{timestamp(record.startedAt)}</time>
        </Fact>
        <Fact label="User">
          {record.username} ({record.role}) · {record.hospital}
        </Fact>
        <Fact label="Outcome">
          <OutcomeBadge outcome={record.outcome} />
        </Fact>
        <Fact label="Detail">{record.detail || none}</Fact>
        <Fact label="Client address" mono>
          {record.clientAddress}
        </Fact>
        <Fact label="Request ID" mono>
          {record.requestId || none}
        </Fact>
        {channelText(record.endpoint) && <Fact label="Channel">{channelText(record.endpoint)}</Fact>}
        <Fact label="Endpoint" mono>
          {record.endpoint}
        </Fact>
        <Fact label="Target" mono>
          {record.target || none}
        </Fact>
        {options && <Fact label="Options">{options}</Fact>}
        <Fact label="Exported">
          {plural(record.studyCount, "study", "studies")} · {plural(record.instances, "instance")} · {plural(record.entries, "entry", "entries")}
        </Fact>
        <Fact label="Size">
          {bytes(record.bytesSent)}
          {/* The exact count only where the short form rounds: "1.2 MB (1,234,567 bytes)". */}
          {record.bytesSent >= 1000 && ` (${plural(record.bytesSent, "byte")})`}
        </Fact>
        <Fact label="Duration">{durationText(record.durationMs)}</Fact>
        <Fact label="Content SHA-256" mono>
          {record.contentSha256 || none}
        </Fact>
        <Fact label="Seal">
          {seal ? (
            <>
              chain record {count(seal.chainSeq)} · key <span className="mono">{seal.keyId}</span>
              <div className="mono small muted">hash {seal.recordHash}</div>
            </>
          ) : (
            <span className="muted">{record.outcome === "in_progress" ? "not sealed yet (in progress)" : "not sealed"}</span>
          )}
        </Fact>
      </dl>
      <RecordStudies record={record} />
    </Dialog>
  );
}

function RecordStudies({ record }: { record: AuditRecord }) {
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(25);
  const studies = useResource((signal) => auditStudies(record.id, { offset, limit }, signal), [record.id, offset, limit]);
  const headingId = useId();
  const page = studies.data;
  return (
    <section className="details record-studies" aria-labelledby={headingId}>
      <h3 id={headingId}>Studies exported</h3>
      {studies.error && <ErrorNotice error={studies.error} onRetry={studies.reload} />}
      {!page && studies.loading && <Loading what="the record's studies" />}
      {page && page.total === 0 && <Empty>No study was exported under this record.</Empty>}
      {page && page.items.length > 0 && (
        <div className="table-wrap">
          <table className={studies.loading ? "table stale" : "table"} aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Study Instance UID</th>
                <th scope="col">Patient ID</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((study) => (
                <tr key={study.studyInstanceUID}>
                  <td className="mono small">{study.studyInstanceUID}</td>
                  <td className="mono small">{study.patientID || <span className="muted">(no ID)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {page && page.total > 0 && (
        <Pager label="Studies exported" offset={offset} limit={limit} total={page.total} onOffset={setOffset} onLimit={setLimit} />
      )}
    </section>
  );
}
