// The controls of a batch selection: a "select all on this page" checkbox (checked when
// every row shown is selected, mixed when some are), and the selection bar ("N selected",
// Clear, Export selected) that appears at the bottom of the page once something is
// selected. The count is also announced through a live region that is always mounted.
import { useEffect, useRef } from "react";
import { plural } from "../format";
import { pageState, type Selection } from "../selection";

interface PageCheckboxProps {
  selection: Selection;
  /** The [id, label] of every row on the page. */
  rows: [string, string][];
  label: string;
  className?: string;
  visibleLabel?: boolean;
}

export function PageCheckbox({ selection, rows, label, className, visibleLabel }: PageCheckboxProps) {
  const ref = useRef<HTMLInputElement>(null);
  const { checked, indeterminate } = pageState(selection, rows.map(([id]) => id));
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return (
    <label className={["check", className].filter(Boolean).join(" ")}>
      <input
        ref={ref}
        type="checkbox"
        checked={checked}
        disabled={rows.length === 0}
        onChange={(event) => selection.set(rows, event.target.checked)}
      />
      <span className={visibleLabel ? undefined : "visually-hidden"}>{label}</span>
    </label>
  );
}

interface BarProps {
  selection: Selection;
  one: string;
  many: string;
  onExport: () => void;
}

export function SelectionBar({ selection, one, many, onExport }: BarProps) {
  const n = selection.items.size;
  const text = `${plural(n, one, many)} selected`;
  return (
    <>
      <p className="visually-hidden" role="status">
        {n > 0 ? text : ""}
      </p>
      {n > 0 && (
        <section className="selection-bar" aria-label="Selection">
          <span className="selection-count">{text}</span>
          <div className="selection-actions">
            <button type="button" className="button button-small" onClick={selection.clear}>
              Clear selection
            </button>
            <button type="button" className="button button-small button-primary" onClick={onExport}>
              Export selected
            </button>
          </div>
        </section>
      )}
    </>
  );
}
