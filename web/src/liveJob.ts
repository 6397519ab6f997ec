// A job as it is now: the listed record, then every event of its stream while it is
// queued, running or delivering, with the time left from the rate of progress.
//
// A browser opens at most six HTTP/1.1 connections to the server, and every stream holds
// one for as long as its job runs, so at most `maxStreams` jobs stream at a time; the
// others ask for their state every few seconds until a stream is free. A stream that
// breaks before the final state is opened again (after a GET of the job) a moment later.
// Unmounting aborts the stream (AbortController).
import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, exportJob, followExportJob, isFinal, type ExportJob } from "./api";
import { addSample, fractionDone, remainingMs, type Sample } from "./jobProgress";

const maxStreams = 3;
let streams = 0;
const pollMs = 3000;
const reconnectMs = 1500;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      window.clearTimeout(timer);
      resolve();
    });
  });
}

export interface LiveJob {
  job: ExportJob;
  /** Milliseconds left at the recent rate; null while unknown (or not running or delivering). */
  remaining: number | null;
  /** Replaces the job with a newer record (the answer to a cancel, say). */
  replace: (job: ExportJob) => void;
  /** The job is gone on the server (404): deleted meanwhile. */
  gone: boolean;
}

export function useLiveJob(listed: ExportJob): LiveJob {
  const [job, setJob] = useState(listed);
  const [remaining, setRemaining] = useState<number | null>(null);
  const [gone, setGone] = useState(false);
  const samples = useRef<Sample[]>([]);

  const replace = useCallback((next: ExportJob) => {
    setJob(next);
    if (next.state === "running" || next.state === "delivering") {
      samples.current = addSample(samples.current, { at: performance.now(), fraction: fractionDone(next) });
      setRemaining(remainingMs(samples.current));
    } else {
      samples.current = [];
      setRemaining(null);
    }
  }, []);

  // A reloaded list brings a fresh record (unless the stream already saw the job finish).
  useEffect(() => {
    setJob((current) => (isFinal(current.state) && !isFinal(listed.state) && current.id === listed.id ? current : listed));
  }, [listed]);

  const active = !isFinal(job.state) && !gone;
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    const { signal } = controller;
    let last: ExportJob | null = null;
    const onJob = (next: ExportJob) => {
      last = next;
      replace(next);
    };
    const finished = () => last !== null && isFinal(last.state);
    (async () => {
      while (!signal.aborted && !finished()) {
        try {
          if (streams < maxStreams) {
            streams += 1;
            try {
              await followExportJob(listed.id, onJob, signal);
            } finally {
              streams -= 1;
            }
            if (finished() || signal.aborted) return;
            await sleep(reconnectMs, signal);
          } else {
            await sleep(pollMs, signal);
          }
          if (!signal.aborted) onJob(await exportJob(listed.id, signal));
        } catch (error) {
          if (signal.aborted) return;
          if (error instanceof ApiError && (error.status === 404 || error.status === 403 || error.status === 401)) {
            if (error.status === 404) setGone(true);
            return;
          }
          await sleep(reconnectMs, signal);
        }
      }
    })();
    return () => controller.abort();
  }, [active, listed.id, replace]);

  return { job, remaining, replace, gone };
}
