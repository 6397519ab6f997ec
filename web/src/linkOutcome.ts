// Follows a download link the browser was handed: the server's status of the link's use
// (GET statusUrl) is polled until the download completed, failed (with the server's
// reason) or the link expired unused, so the Export dialog says what really happened
// rather than "started" for a download the browser silently cancelled.
import { useEffect, useState } from "react";
import { ApiError, downloadLinkStatus, type LinkStatus } from "./api";

const pollMs = 1000;

/** The link's latest status; null until the first answer, or when `statusUrl` is null. */
export function useLinkOutcome(statusUrl: string | null): { status: LinkStatus | null; error: ApiError | null } {
  const [status, setStatus] = useState<LinkStatus | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    setStatus(null);
    setError(null);
    if (statusUrl === null) return;
    const controller = new AbortController();
    let timer: number | undefined;
    const poll = async () => {
      try {
        const next = await downloadLinkStatus(statusUrl, controller.signal);
        setStatus(next);
        if (next.state === "pending" || next.state === "streaming") timer = window.setTimeout(poll, pollMs);
      } catch (reason) {
        if (controller.signal.aborted) return;
        setError(reason instanceof ApiError ? reason : new ApiError(0, "internal", String(reason)));
      }
    };
    void poll();
    return () => {
      controller.abort();
      window.clearTimeout(timer);
    };
  }, [statusUrl]);
  return { status, error };
}
