// Destinations (admins): where the hospital's export jobs can send their archives. A
// card per destination: its kind, where it sends, which secrets are set (never their
// values), and its actions: Test (reach it with its credentials, sending nothing),
// Edit, Delete (after confirmation).
import { useId, useState } from "react";
import { asApiError, type ApiError } from "../api";
import { deleteDestination, listDestinations, testDestination, type Destination, type TestOutcome } from "../destinationsApi";
import { timestamp } from "../format";
import { useResource } from "../hooks";
import { ConfirmDialog } from "./ConfirmDialog";
import { DestinationDialog } from "./DestinationDialog";
import { destinationSummary, kindForms, type KindForm } from "./destinationFields";
import { Empty, ErrorNotice, Loading } from "./LoadState";

type Editing = { kind: "closed" } | { kind: "new" } | { kind: "edit"; destination: Destination } | { kind: "delete"; destination: Destination };

export function DestinationsPage() {
  const destinations = useResource((signal) => listDestinations(signal), []);
  const [editing, setEditing] = useState<Editing>({ kind: "closed" });
  const items = destinations.data;
  const close = () => setEditing({ kind: "closed" });

  return (
    <section className="page" aria-labelledby="destinations-title">
      <div className="page-head">
        <div>
          <h1 id="destinations-title">Destinations</h1>
          <p className="page-note small muted">Where export jobs and schedules send their archives.</p>
        </div>
        <div className="toolbar">
          <button type="button" className="button button-small" onClick={destinations.reload}>
            Refresh
          </button>
          <button type="button" className="button button-small button-primary" onClick={() => setEditing({ kind: "new" })}>
            New destination
          </button>
        </div>
      </div>

      {destinations.error && <ErrorNotice error={destinations.error} onRetry={destinations.reload} />}
      {!items && destinations.loading && <Loading what="destinations" />}
      {items && items.length === 0 && !destinations.error && (
        <Empty>No destinations yet. Create one to send export archives to object storage or by e-mail.</Empty>
      )}
      {items && items.length > 0 && (
        <ul className="jobs" aria-label="Destinations">
          {items.map((destination) => (
            <li key={destination.id}>
              <DestinationCard
                destination={destination}
                onEdit={() => setEditing({ kind: "edit", destination })}
                onDelete={() => setEditing({ kind: "delete", destination })}
              />
            </li>
          ))}
        </ul>
      )}

      {(editing.kind === "new" || editing.kind === "edit") && (
        <DestinationDialog
          editing={editing.kind === "edit" ? editing.destination : undefined}
          onClose={close}
          onSaved={() => {
            close();
            destinations.reload();
          }}
        />
      )}
      {editing.kind === "delete" && (
        <ConfirmDialog
          title={`Delete destination ${editing.destination.name}?`}
          confirm="Delete"
          onClose={close}
          action={async () => {
            await deleteDestination(editing.destination.id);
            close();
            destinations.reload();
          }}
        >
          Export jobs and schedules can no longer send archives to it. Its stored secrets are deleted with it.
        </ConfirmDialog>
      )}
    </section>
  );
}

type Test = { kind: "idle" } | { kind: "testing" } | { kind: "done"; outcome: TestOutcome } | { kind: "failed"; error: ApiError };

function DestinationCard({ destination, onEdit, onDelete }: { destination: Destination; onEdit: () => void; onDelete: () => void }) {
  const [test, setTest] = useState<Test>({ kind: "idle" });
  const headingId = useId();
  // A kind this UI does not know (a newer server) still shows its name and secret keys.
  const form = kindForms[destination.kind] as KindForm | undefined;
  const secrets = form?.secrets ?? destination.secrets.map((key) => ({ key, label: key }));
  const set = new Set(destination.secrets);

  async function runTest() {
    setTest({ kind: "testing" });
    try {
      setTest({ kind: "done", outcome: await testDestination(destination.id) });
    } catch (reason) {
      setTest({ kind: "failed", error: asApiError(reason) });
    }
  }

  return (
    <article className="card job-card destination-card" aria-labelledby={headingId} data-destination-id={destination.id}>
      <div className="job-head">
        <h2 className="card-title" id={headingId}>
          {destination.name}
        </h2>
        <span className="job-state">{form?.name ?? destination.kind}</span>
      </div>
      <p className="small mono job-targets">{form ? destinationSummary(destination.kind, destination.settings) : ""}</p>
      <p className="small muted job-meta">
        Secrets:{" "}
        {secrets.map((secret, i) => (
          <span key={secret.key}>
            {i > 0 && ", "}
            {secret.label}{" "}
            <span className={set.has(secret.key) ? "secret-state secret-set" : "secret-state"} data-secret={secret.key}>
              {set.has(secret.key) ? "set" : "not set"}
            </span>
          </span>
        ))}
        {" · "}created by {destination.createdBy}, <time dateTime={destination.createdAt}>{timestamp(destination.createdAt)}</time>
      </p>
      <div className="job-actions">
        <button type="button" className="button button-small" onClick={runTest} disabled={test.kind === "testing"} aria-label={`Test ${destination.name}`}>
          {test.kind === "testing" ? "Testing…" : "Test"}
        </button>
        <button type="button" className="button button-small" onClick={onEdit} aria-label={`Edit ${destination.name}`}>
          Edit
        </button>
        <button type="button" className="button button-small" onClick={onDelete} aria-label={`Delete ${destination.name}`}>
          Delete
        </button>
      </div>
      <div aria-live="polite" className="destination-test">
        {test.kind === "done" && test.outcome.ok && (
          <p className="notice notice-success test-result" role="status">
            Test passed: the destination is reachable and accepts the credentials.
          </p>
        )}
        {test.kind === "done" && !test.outcome.ok && (
          <p className="notice notice-error test-result" role="alert" data-code={test.outcome.error.code}>
            Test failed: {test.outcome.error.message}
          </p>
        )}
        {test.kind === "failed" && <ErrorNotice error={test.error} />}
      </div>
    </article>
  );
}
