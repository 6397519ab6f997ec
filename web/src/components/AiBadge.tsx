// The "AI" badge of a study that has AI analysis results: a button that opens a small
// non-modal dialog with the models, when they ran, the summary and findings (when the
// results have them, as the demo's do) and the raw results. The dialog takes the focus;
// Escape, the Close button or a click elsewhere closes it and gives the focus back.
import { useEffect, useId, useRef, useState } from "react";
import type { Study } from "../api";
import { timestamp } from "../format";

interface Finding {
  label?: unknown;
  location?: unknown;
  probability?: unknown;
}

function findingText(finding: Finding): string {
  const parts = [finding.label, finding.location].filter((part) => typeof part === "string" && part);
  if (typeof finding.probability === "number") parts.push(`probability ${Math.round(finding.probability * 100)} %`);
  return parts.join(", ");
}

export function AiBadge({ study }: { study: Study }) {
  const button = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  // Where the dialog shows (fixed to the viewport, so the table's scroll box never clips
  // it): under the badge, kept inside the window; null while closed.
  const [position, setPosition] = useState<{ top: number; left: number } | null>(null);
  const open = position !== null;
  const setOpen = (show: boolean) => {
    const rect = button.current?.getBoundingClientRect();
    setPosition(show && rect ? { top: rect.bottom + 4, left: Math.max(8, Math.min(rect.left, window.innerWidth - 356)) } : null);
  };
  const id = useId();
  const models = study.aiModels.join(", ");
  const analysis = (typeof study.aiAnalysis === "object" && study.aiAnalysis) || {};
  const summary = (analysis as { summary?: unknown }).summary;
  const findings = (analysis as { findings?: unknown }).findings;

  useEffect(() => {
    if (!open) return;
    panel.current?.focus({ preventScroll: true });
    const onPointer = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panel.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    const onResize = () => setPosition(null);
    document.addEventListener("pointerdown", onPointer);
    window.addEventListener("resize", onResize);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      window.removeEventListener("resize", onResize);
    };
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };

  return (
    <span className="ai-badge">
      <button
        ref={button}
        type="button"
        className="badge"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={`AI results${models ? ` by ${models}` : ""}`}
        onClick={() => (open ? close() : setOpen(true))}
      >
        AI
      </button>
      {open && (
        <div
          ref={panel}
          id={id}
          role="dialog"
          aria-label="AI results"
          tabIndex={-1}
          className="ai-popover"
          style={position ?? undefined}
          onKeyDown={(event) => {
            if (event.key === "Escape") {
              event.stopPropagation();
              close();
            }
          }}
        >
          <h3 className="ai-popover-title">AI results</h3>
          <dl className="ai-popover-facts">
            <dt>Models</dt>
            <dd>{models || "not named"}</dd>
            {study.aiAnalyzedAt && (
              <>
                <dt>Analyzed</dt>
                <dd>{timestamp(study.aiAnalyzedAt)}</dd>
              </>
            )}
          </dl>
          {typeof summary === "string" && summary && <p>{summary}</p>}
          {Array.isArray(findings) && findings.length > 0 && (
            <ul className="ai-findings">
              {findings.map((finding, index) => (
                <li key={index}>{findingText(finding as Finding)}</li>
              ))}
            </ul>
          )}
          <details>
            <summary>Raw results</summary>
            <pre className="ai-raw">{JSON.stringify(study.aiAnalysis, null, 2)}</pre>
          </details>
          <button type="button" className="button button-small" onClick={close}>
            Close
          </button>
        </div>
      )}
    </span>
  );
}
