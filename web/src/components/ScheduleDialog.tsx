// Create or edit a schedule (admins): its name; when it runs (a preset or a custom cron
// expression, described in words, in a time zone that defaults to the browser's); what it
// exports (the whole hospital or chosen patients or studies, with the export options);
// where the archive goes; incremental (only studies added or changed since the last
// successful run); enabled. A 400 from the server shows above the buttons and next to
// the field it names.
import { useId, useState, type FormEvent } from "react";
import { asApiError, type ApiError } from "../api";
import { browserTimeZone, cronPresets, customPreset, describeCron, knownTimeZones, presetOf } from "../cron";
import type { Destination } from "../destinationsApi";
import { createSchedule, updateSchedule, type Schedule, type ScheduleInput, type ScheduleScope } from "../schedulesApi";
import { Dialog } from "./Dialog";
import { fieldOfError } from "./fieldError";
import { FormField } from "./FormField";
import { ErrorNotice } from "./LoadState";

interface Props {
  editing?: Schedule;
  destinations: Destination[];
  onClose: () => void;
  onSaved: (schedule: Schedule) => void;
}

const newSchedule = (): ScheduleInput => ({
  name: "",
  cron: cronPresets[0].cron,
  timeZone: browserTimeZone(),
  scope: "all",
  ids: [],
  options: { includeImages: true, previews: true, format: "zip", compression: 6 },
  destination: null,
  incremental: false,
  enabled: true,
});

function inputOf(schedule: Schedule): ScheduleInput {
  const { name, cron, timeZone, scope, ids, options, destination, incremental, enabled } = schedule;
  return { name, cron, timeZone, scope, ids, options: { ...newSchedule().options, ...options }, destination, incremental, enabled };
}

const scopeLabels: Record<ScheduleScope, string> = { all: "Whole hospital", patients: "Chosen patients", studies: "Chosen studies" };

export function ScheduleDialog({ editing, destinations, onClose, onSaved }: Props) {
  const [input, setInput] = useState<ScheduleInput>(() => (editing ? inputOf(editing) : newSchedule()));
  const [preset, setPreset] = useState(() => presetOf(input.cron));
  const [idsText, setIdsText] = useState(input.ids.join("\n"));
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const zonesId = useId();
  const errorField = fieldOfError(error, ["name", "cron", "timeZone", "scope", "ids", "includeImages", "previews", "format", "compression", "destination", "incremental", "enabled"]);
  const errorAt = (...keys: string[]) => (errorField && keys.includes(errorField) ? error?.message : null);
  const description = describeCron(input.cron);
  const jsonOnly = input.options.format === "json";

  const update = (next: Partial<ScheduleInput>) => setInput((current) => ({ ...current, ...next }));
  const updateOptions = (next: Partial<ScheduleInput["options"]>) =>
    setInput((current) => ({ ...current, options: { ...current.options, ...next } }));

  function choosePreset(id: string) {
    setPreset(id);
    const chosen = cronPresets.find((p) => p.id === id);
    if (chosen) update({ cron: chosen.cron });
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const ids = input.scope === "all" ? [] : idsText.split(/[\n,]/).map((id) => id.trim()).filter(Boolean);
    // A JSON-only export is the metadata document alone, whatever the checkboxes say.
    const options = input.options.format === "json" ? { ...input.options, includeImages: false, previews: false } : input.options;
    const body: ScheduleInput = { ...input, name: input.name.trim(), cron: input.cron.trim(), timeZone: input.timeZone.trim(), ids, options };
    try {
      onSaved(editing ? await updateSchedule(editing.id, body) : await createSchedule(body));
    } catch (reason) {
      setError(asApiError(reason));
      setSaving(false);
    }
  }

  const title = editing ? `Edit schedule ${editing.name}` : "New schedule";
  const formId = "schedule-form";
  return (
    <Dialog
      title={title}
      wide
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={saving}>
            {saving ? "Saving…" : editing ? "Save" : "Create schedule"}
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={save} noValidate aria-label={title}>
        <FormField label="Name" required error={errorAt("name")}>
          {(control) => <input {...control} type="text" value={input.name} onChange={(e) => update({ name: e.target.value })} autoComplete="off" />}
        </FormField>

        <fieldset className="form-section">
          <legend>When</legend>
          <div className="form-grid">
            <FormField label="Runs">
              {(control) => (
                <select {...control} value={preset} onChange={(e) => choosePreset(e.target.value)}>
                  {cronPresets.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.label}
                    </option>
                  ))}
                  <option value={customPreset}>Custom (cron expression)</option>
                </select>
              )}
            </FormField>
            <FormField label="Cron expression" hint="minute hour day-of-month month day-of-week" error={errorAt("cron")}>
              {(control) => (
                <input
                  {...control}
                  type="text"
                  className="mono"
                  value={input.cron}
                  readOnly={preset !== customPreset}
                  onChange={(e) => update({ cron: e.target.value })}
                  autoComplete="off"
                  spellCheck={false}
                />
              )}
            </FormField>
            <FormField label="Time zone" error={errorAt("timeZone")}>
              {(control) => (
                <>
                  <input {...control} type="text" list={zonesId} value={input.timeZone} onChange={(e) => update({ timeZone: e.target.value })} autoComplete="off" />
                  <datalist id={zonesId}>
                    {knownTimeZones().map((zone) => (
                      <option key={zone} value={zone} />
                    ))}
                  </datalist>
                </>
              )}
            </FormField>
          </div>
          <p className="hint cron-preview" aria-live="polite">
            {description ? `${description}, ${input.timeZone || "UTC"} time.` : `Custom: “${input.cron.trim()}”, ${input.timeZone || "UTC"} time.`}
          </p>
        </fieldset>

        <fieldset className="form-section">
          <legend>What</legend>
          <div role="radiogroup" aria-label="Scope" className="radios">
            {(Object.keys(scopeLabels) as ScheduleScope[]).map((scope) => (
              <label key={scope} className="radio">
                <input
                  type="radio"
                  name="schedule-scope"
                  value={scope}
                  checked={input.scope === scope}
                  // Incremental backups are of the whole hospital only.
                  onChange={() => update(scope === "all" ? { scope } : { scope, incremental: false })}
                />
                <span>{scopeLabels[scope]}</span>
              </label>
            ))}
          </div>
          {input.scope !== "all" && (
            <FormField
              label={input.scope === "patients" ? "Patient IDs" : "Study Instance UIDs"}
              hint="One a line."
              required
              error={errorAt("ids", "scope")}
            >
              {(control) => <textarea {...control} className="mono" rows={3} value={idsText} onChange={(e) => setIdsText(e.target.value)} spellCheck={false} />}
            </FormField>
          )}
          <div className="schedule-options">
            <label className="check">
              <input type="checkbox" checked={input.options.includeImages && !jsonOnly} disabled={jsonOnly} onChange={(e) => updateOptions({ includeImages: e.target.checked })} />
              <span>Include DICOM images</span>
            </label>
            <label className="check">
              <input type="checkbox" checked={input.options.previews && !jsonOnly} disabled={jsonOnly} onChange={(e) => updateOptions({ previews: e.target.checked })} />
              <span>Include previews</span>
            </label>
            <div role="radiogroup" aria-label="Format" className="radios">
              <label className="radio">
                <input type="radio" name="schedule-format" checked={!jsonOnly} onChange={() => updateOptions({ format: "zip" })} />
                <span>ZIP archive</span>
              </label>
              <label className="radio">
                <input type="radio" name="schedule-format" checked={jsonOnly} onChange={() => updateOptions({ format: "json" })} />
                <span>JSON only</span>
              </label>
            </div>
            <FormField label="Compression (0–9)" error={errorAt("compression")}>
              {(control) => (
                <input
                  {...control}
                  type="number"
                  min={0}
                  max={9}
                  className="input-short"
                  value={input.options.compression}
                  onChange={(e) => updateOptions({ compression: Number(e.target.value) })}
                />
              )}
            </FormField>
          </div>
          <label className="check">
            <input
              type="checkbox"
              checked={input.incremental}
              disabled={input.scope !== "all"}
              onChange={(e) => update({ incremental: e.target.checked })}
            />
            <span>Incremental: only studies added or changed since the last successful run (whole hospital only)</span>
          </label>
        </fieldset>

        <fieldset className="form-section">
          <legend>Where</legend>
          <FormField label="Destination" error={errorAt("destination")} hint={input.destination === null ? "The archive stays on the server, to download from the Jobs page." : undefined}>
            {(control) => (
              <select
                {...control}
                value={input.destination === null ? "" : String(input.destination)}
                onChange={(e) => update({ destination: e.target.value === "" ? null : Number(e.target.value) })}
              >
                <option value="">None (download from the Jobs page)</option>
                {destinations.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name}
                  </option>
                ))}
              </select>
            )}
          </FormField>
          <label className="check">
            <input type="checkbox" checked={input.enabled} onChange={(e) => update({ enabled: e.target.checked })} />
            <span>Enabled</span>
          </label>
        </fieldset>
        <div aria-live="polite">{error && <ErrorNotice error={error} />}</div>
      </form>
    </Dialog>
  );
}
