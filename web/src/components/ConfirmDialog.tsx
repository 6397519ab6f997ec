// Asks before an action that cannot be undone (deleting a destination or a schedule);
// the action's error shows in the dialog, which stays open until it succeeds or is cancelled.
import { useState, type ReactNode } from "react";
import { asApiError, type ApiError } from "../api";
import { Dialog } from "./Dialog";
import { ErrorNotice } from "./LoadState";

interface Props {
  title: string;
  confirm: string;
  children: ReactNode;
  action: () => Promise<void>;
  onClose: () => void;
}

export function ConfirmDialog({ title, confirm, children, action, onClose }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (reason) {
      setError(asApiError(reason));
      setBusy(false);
    }
  }
  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="button button-danger" onClick={run} disabled={busy}>
            {busy ? "Working…" : confirm}
          </button>
        </>
      }
    >
      <p className="confirm-text">{children}</p>
      {error && <ErrorNotice error={error} />}
    </Dialog>
  );
}
