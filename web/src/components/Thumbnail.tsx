// A study's thumbnail, fetched with the Bearer token as a blob (an <img src> cannot carry
// it) and shown from an object URL that is revoked on unmount. A study without a
// renderable image (404) or a failed fetch shows nothing. At most three fetches run at once.
import { useEffect, useState } from "react";
import { studyThumbnail } from "../api";

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

export function Thumbnail({ studyUID }: { studyUID: string }) {
  const [state, setState] = useState<State>({ kind: "loading" });

  useEffect(() => {
    const controller = new AbortController();
    let url: string | null = null;
    setState({ kind: "loading" });
    limited(() => (controller.signal.aborted ? Promise.resolve(null) : studyThumbnail(studyUID, controller.signal))).then(
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
  }, [studyUID]);

  if (state.kind === "none") return <span className="thumb thumb-none" aria-hidden="true" />;
  if (state.kind === "loading") return <span className="thumb thumb-loading" aria-hidden="true" />;
  return <img className="thumb" src={state.url} alt="" />;
}
