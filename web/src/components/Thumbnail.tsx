// A study's thumbnail, fetched with the Bearer token as a blob (an <img src> cannot carry
// it) and shown from an object URL that is revoked on unmount. A study without a
// renderable image (the server's 204) or a failed fetch shows a "no preview" icon. At most
// three fetches run at once. A click on the thumbnail opens a dialog with the study's image
// at 512 pixels (the server renders it at that size, not a scaled thumbnail).
import { useEffect, useState } from "react";
import { studyThumbnail } from "../api";
import { Dialog } from "./Dialog";

const maxInFlight = 3;
let inFlight = 0;
const waiting: (() => void)[] = [];

async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (inFlight >= maxInFlight) await new Promise<void>((resolve) => waiting.push(resolve));
  inFlight += 1;
  try {
    return await task();
  } finally {
    inFlight -= 1;
    waiting.shift()?.();
  }
}

type State = { kind: "loading" } | { kind: "none" } | { kind: "image"; url: string };

/** The study's image at `size` pixels (server default when undefined), as an object URL. */
function useStudyImage(studyUID: string, size?: number): State {
  const [state, setState] = useState<State>({ kind: "loading" });
  useEffect(() => {
    const controller = new AbortController();
    let url: string | null = null;
    setState({ kind: "loading" });
    limited(() => (controller.signal.aborted ? Promise.resolve(null) : studyThumbnail(studyUID, controller.signal, size))).then(
      (blob) => {
        if (controller.signal.aborted) return;
        if (!blob) return setState({ kind: "none" });
        url = URL.createObjectURL(blob);
        setState({ kind: "image", url });
      },
      () => {
        if (!controller.signal.aborted) setState({ kind: "none" });
      },
    );
    return () => {
      controller.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [studyUID, size]);
  return state;
}

function NoPreview({ className }: { className: string }) {
  return (
    <span className={className} role="img" aria-label="No preview" title="No preview">
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true">
        <rect x="3" y="5" width="18" height="14" rx="2" fill="none" stroke="currentColor" strokeWidth="1.6" />
        <path d="M7 15l3-3 2 2 3-4 2 5" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinejoin="round" />
        <path d="M4 21L20 3" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      </svg>
    </span>
  );
}

/** `name` names the study in the enlarge button's label and the dialog's subtitle. */
export function Thumbnail({ studyUID, name }: { studyUID: string; name: string }) {
  const state = useStudyImage(studyUID);
  const [enlarged, setEnlarged] = useState(false);

  if (state.kind === "none") return <NoPreview className="thumb thumb-none" />;
  if (state.kind === "loading") return <span className="thumb thumb-loading" aria-hidden="true" />;
  return (
    <>
      <button type="button" className="thumb-button" aria-label={`Enlarge preview of ${name}`} onClick={() => setEnlarged(true)}>
        <img className="thumb" src={state.url} alt="" />
      </button>
      {enlarged && <PreviewDialog studyUID={studyUID} name={name} onClose={() => setEnlarged(false)} />}
    </>
  );
}

const enlargedSize = 512;

function PreviewDialog({ studyUID, name, onClose }: { studyUID: string; name: string; onClose: () => void }) {
  const state = useStudyImage(studyUID, enlargedSize);
  return (
    <Dialog title="Preview" subtitle={name} onClose={onClose} wide>
      <div className="preview-large">
        {state.kind === "loading" && <span className="spinner" role="status" aria-label="Loading preview" />}
        {state.kind === "none" && <NoPreview className="preview-none" />}
        {state.kind === "image" && <img src={state.url} alt={`First image of ${name}`} />}
      </div>
    </Dialog>
  );
}
