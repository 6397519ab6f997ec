// The Studies page's filters, kept in the URL (router.ts): a study date range with
// presets, accession number, patient birth date, several modalities at once (from the
// hospital's own modalities, with their study counts) and "has AI results".
import { studyModalities } from "../api";
import { count } from "../format";
import { useResource } from "../hooks";
import { useUrlText, type UrlChanges } from "../router";

interface Props {
  params: URLSearchParams;
  update: (changes: UrlChanges, history?: "push" | "replace") => void;
}

/** The URL parameters the bar sets (GET /api/studies takes the same names). */
export const studyFilterKeys = ["studyDateFrom", "studyDateTo", "accession", "birthDate", "modality", "hasAi"] as const;

/** Local calendar day `daysAgo` days before today, as YYYY-MM-DD. */
function localDay(daysAgo: number): string {
  const day = new Date();
  day.setDate(day.getDate() - daysAgo);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

const presets = [
  { label: "Today", days: 1 },
  { label: "Last 7 days", days: 7 },
  { label: "Last 30 days", days: 30 },
];

export function StudyFilterBar({ params, update }: Props) {
  const [accession, setAccession] = useUrlText(params, update, "accession");
  const from = params.get("studyDateFrom") ?? "";
  const to = params.get("studyDateTo") ?? "";
  const set = (changes: UrlChanges) => update({ ...changes, offset: null });
  const active = studyFilterKeys.some((key) => params.has(key));
  return (
    <div className="filter-bar" role="group" aria-label="Study filters">
      <fieldset className="filter-dates">
        <legend>Study date</legend>
        <label className="inline-field">
          <span>From</span>
          <input type="date" value={from} max={to || undefined} onChange={(event) => set({ studyDateFrom: event.target.value })} />
        </label>
        <label className="inline-field">
          <span>To</span>
          <input type="date" value={to} min={from || undefined} onChange={(event) => set({ studyDateTo: event.target.value })} />
        </label>
        {presets.map(({ label, days }) => {
          const range = { studyDateFrom: localDay(days - 1), studyDateTo: localDay(0) };
          const pressed = from === range.studyDateFrom && to === range.studyDateTo;
          return (
            <button key={label} type="button" className="button button-small" aria-pressed={pressed} onClick={() => set(range)}>
              {label}
            </button>
          );
        })}
      </fieldset>
      <label className="inline-field">
        <span>Accession</span>
        <input type="search" className="filter-accession" value={accession} onChange={(event) => setAccession(event.target.value)} />
      </label>
      <label className="inline-field">
        <span>Birth date</span>
        <input type="date" value={params.get("birthDate") ?? ""} onChange={(event) => set({ birthDate: event.target.value })} />
      </label>
      <ModalityPicker selected={(params.get("modality") ?? "").split(",").filter(Boolean)} onChange={(modalities) => set({ modality: modalities.join(",") })} />
      <label className="check">
        <input type="checkbox" checked={params.get("hasAi") === "true"} onChange={(event) => set({ hasAi: event.target.checked ? "true" : null })} />
        <span>Has AI results</span>
      </label>
      {active && (
        <button
          type="button"
          className="button button-small"
          onClick={() => set(Object.fromEntries(studyFilterKeys.map((key) => [key, null])))}
        >
          Clear filters
        </button>
      )}
    </div>
  );
}

/** A drop-down of checkboxes, one per modality of the hospital's studies with its count. */
function ModalityPicker({ selected, onChange }: { selected: string[]; onChange: (modalities: string[]) => void }) {
  const facet = useResource((signal) => studyModalities(signal), []);
  const known = facet.data ?? [];
  // A modality from a shared link that the hospital no longer has stays removable.
  const options = [...known, ...selected.filter((m) => !known.some((k) => k.modality === m)).map((modality) => ({ modality, studies: 0 }))];
  const toggle = (modality: string, on: boolean) =>
    onChange(on ? [...selected, modality].sort() : selected.filter((m) => m !== modality));
  return (
    <details className="multi-select">
      <summary>
        Modality: {selected.length ? selected.join(", ") : "all"}
      </summary>
      <fieldset>
        <legend className="visually-hidden">Modalities</legend>
        {facet.error && <p className="small">The modalities could not be loaded.</p>}
        {options.map(({ modality, studies }) => (
          <label key={modality} className="check">
            <input type="checkbox" checked={selected.includes(modality)} onChange={(event) => toggle(modality, event.target.checked)} />
            <span>
              {modality} <span className="muted">({count(studies)})</span>
            </span>
          </label>
        ))}
      </fieldset>
    </details>
  );
}
