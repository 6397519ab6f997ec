// The studies whose files carry no Patient ID. They may belong to different people, so
// they are not one patient: the patient list leaves them out and they are listed here,
// each with its own export (none exports them together). Nothing shows when there are none.
import { useState } from "react";
import { listUnidentifiedStudies } from "../api";
import { bytes, dicomDate, personName } from "../format";
import { useResource } from "../hooks";
import { ErrorNotice } from "./LoadState";
import { Pager } from "./Pager";
import { StudyExportButton } from "./StudyExportButton";

export function UnidentifiedStudies() {
  const [offset, setOffset] = useState(0);
  const [limit, setLimit] = useState(25);
  const studies = useResource((signal) => listUnidentifiedStudies({ offset, limit }, signal), [offset, limit]);
  const page = studies.data;
  if (studies.error) return <ErrorNotice error={studies.error} onRetry={studies.reload} />;
  if (!page || page.total === 0) return null;
  return (
    <section className="unidentified" aria-labelledby="unidentified-title">
      <h2 id="unidentified-title">Studies without a Patient ID</h2>
      <p className="muted">
        These studies have no Patient ID, so they may belong to different people. Each is exported on its own.
      </p>
      <div className="table-wrap">
        <table className="table" aria-labelledby="unidentified-title">
          <thead>
            <tr>
              <th scope="col">Date</th>
              <th scope="col">Name in the files</th>
              <th scope="col">Modality</th>
              <th scope="col">Description</th>
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
              <tr key={study.studyInstanceUID} data-uid={study.studyInstanceUID}>
                <td className="nowrap" data-label="Date">{dicomDate(study.studyDate) || "—"}</td>
                <td data-label="Name in the files">{personName(study.patientName)}</td>
                <td data-label="Modality">{study.modality || "—"}</td>
                <td data-label="Description">{study.studyDescription || "—"}</td>
                <td className="num nowrap" data-label="Size">{bytes(study.totalBytes)}</td>
                <td className="col-action">
                  <StudyExportButton study={study} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {page.total > limit && (
        <Pager label="Studies without a Patient ID" offset={offset} limit={limit} total={page.total} onOffset={setOffset} onLimit={setLimit} />
      )}
    </section>
  );
}
