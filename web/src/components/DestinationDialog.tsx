// Create or edit a destination (admins). The kind is chosen at creation and decides the
// form (destinationFields.ts). Secrets are write-only: their fields start empty and say
// whether a value is set; on edit an empty field leaves the stored secret as it is, and
// "Remove" drops it. A 400 from the server shows above the buttons and next to the
// field it names.
import { useState, type FormEvent } from "react";
import { asApiError, type ApiError } from "../api";
import {
  createDestination,
  updateDestination,
  type Destination,
  type DestinationKind,
} from "../destinationsApi";
import { Dialog } from "./Dialog";
import { destinationKinds, kindForms, settingsOf, settingText, type SettingField } from "./destinationFields";
import { fieldOfError } from "./fieldError";
import { FormField, type ControlProps } from "./FormField";
import { ErrorNotice } from "./LoadState";

interface Props {
  /** The destination to edit; absent: a new one. */
  editing?: Destination;
  onClose: () => void;
  onSaved: (destination: Destination) => void;
}

function initialTexts(kind: DestinationKind, editing?: Destination): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const field of kindForms[kind].settings) texts[field.key] = settingText(field, editing?.settings[field.key]);
  return texts;
}

export function DestinationDialog({ editing, onClose, onSaved }: Props) {
  const [name, setName] = useState(editing?.name ?? "");
  const [kind, setKind] = useState<DestinationKind>(editing?.kind ?? "s3");
  const [texts, setTexts] = useState(() => initialTexts(kind, editing));
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<Set<string>>(new Set());
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const form = kindForms[kind];
  const stored = new Set(editing?.secrets ?? []);
  const errorField = fieldOfError(error, ["name", ...form.settings.map((f) => f.key), ...form.secrets.map((f) => f.key)]);
  const errorAt = (key: string) => (errorField === key ? error?.message : null);

  function chooseKind(next: DestinationKind) {
    setKind(next);
    setTexts(initialTexts(next));
    setSecrets({});
    setError(null);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setSaving(true);
    setError(null);
    const settings = settingsOf(form, texts);
    // Only what was typed: an empty secret field keeps (on edit) or omits (on create) the key.
    const typed = Object.fromEntries(Object.entries(secrets).filter(([, value]) => value !== ""));
    try {
      if (editing) {
        const change: Record<string, string | null> = { ...typed };
        for (const key of removed) if (!(key in typed)) change[key] = null;
        onSaved(await updateDestination(editing.id, { name: name.trim(), settings, secrets: change }));
      } else {
        onSaved(await createDestination({ name: name.trim(), kind, settings, secrets: typed }));
      }
    } catch (reason) {
      setError(asApiError(reason));
      setSaving(false);
    }
  }

  const title = editing ? `Edit destination ${editing.name}` : "New destination";
  const formId = "destination-form";
  return (
    <Dialog
      title={title}
      subtitle={editing ? kindForms[editing.kind].name : undefined}
      onClose={onClose}
      wide
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" form={formId} className="button button-primary" disabled={saving}>
            {saving ? "Saving…" : editing ? "Save" : "Create destination"}
          </button>
        </>
      }
    >
      <form id={formId} className="form" onSubmit={save} noValidate aria-label={title}>
        <div className="form-grid">
          <FormField label="Name" required error={errorAt("name")}>
            {(control) => <input {...control} type="text" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />}
          </FormField>
          {!editing && (
            <FormField label="Kind">
              {(control) => (
                <select {...control} value={kind} onChange={(e) => chooseKind(e.target.value as DestinationKind)}>
                  {destinationKinds.map((k) => (
                    <option key={k} value={k}>
                      {kindForms[k].name}
                    </option>
                  ))}
                </select>
              )}
            </FormField>
          )}
        </div>

        <fieldset className="form-section">
          <legend>Settings</legend>
          <div className="form-grid">
            {form.settings.map((field) => (
              <FormField
                key={field.key}
                label={field.label}
                hint={field.hint}
                required={"required" in field && field.required}
                error={errorAt(field.key)}
              >
                {(control) => (
                  <SettingControl
                    field={field}
                    control={control}
                    text={texts[field.key] ?? ""}
                    onText={(value) => setTexts((current) => ({ ...current, [field.key]: value }))}
                  />
                )}
              </FormField>
            ))}
          </div>
        </fieldset>

        <fieldset className="form-section">
          <legend>Secrets</legend>
          <p className="hint secrets-hint">
            {form.secretsHint} Secrets are stored encrypted and never shown again
            {editing ? "; leave a field empty to keep what is set." : "."}
          </p>
          <div className="form-grid">
            {form.secrets.map((secret) => {
              const isSet = stored.has(secret.key) && !removed.has(secret.key);
              return (
                <FormField
                  key={secret.key}
                  label={
                    <>
                      {secret.label}{" "}
                      <span className={isSet ? "secret-state secret-set" : "secret-state"} data-secret={secret.key}>
                        {isSet ? "set" : "not set"}
                      </span>
                    </>
                  }
                  hint={secret.hint}
                  error={errorAt(secret.key)}
                >
                  {(control) => (
                    <div className="secret-row">
                      <input
                        {...control}
                        type="password"
                        autoComplete="new-password"
                        value={secrets[secret.key] ?? ""}
                        placeholder={isSet ? "unchanged" : ""}
                        onChange={(e) => setSecrets((current) => ({ ...current, [secret.key]: e.target.value }))}
                      />
                      {editing && stored.has(secret.key) && (
                        <button
                          type="button"
                          className="button button-small"
                          aria-label={removed.has(secret.key) ? `Keep ${secret.label}` : `Remove ${secret.label}`}
                          onClick={() =>
                            setRemoved((current) => {
                              const next = new Set(current);
                              if (next.has(secret.key)) next.delete(secret.key);
                              else next.add(secret.key);
                              return next;
                            })
                          }
                        >
                          {removed.has(secret.key) ? "Keep" : "Remove"}
                        </button>
                      )}
                    </div>
                  )}
                </FormField>
              );
            })}
          </div>
        </fieldset>
        <div aria-live="polite">{error && <ErrorNotice error={error} />}</div>
      </form>
    </Dialog>
  );
}

interface ControlArgs {
  field: SettingField;
  control: ControlProps;
  text: string;
  onText: (value: string) => void;
}

function SettingControl({ field, control, text, onText }: ControlArgs) {
  switch (field.type) {
    case "select":
      return (
        <select {...control} value={text} onChange={(e) => onText(e.target.value)}>
          {Object.entries(field.choices).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      );
    case "boolean":
      return (
        <select {...control} value={text} onChange={(e) => onText(e.target.value)}>
          <option value="">No (default)</option>
          <option value="true">Yes</option>
          <option value="false">No</option>
        </select>
      );
    case "textarea":
    case "list":
      return <textarea {...control} rows={3} value={text} placeholder={field.placeholder} onChange={(e) => onText(e.target.value)} />;
    case "number":
      return (
        <input
          {...control}
          type="number"
          min={field.min}
          max={field.max}
          value={text}
          placeholder={field.placeholder}
          onChange={(e) => onText(e.target.value)}
        />
      );
    default:
      return (
        <input {...control} type={field.type} value={text} placeholder={field.placeholder} autoComplete="off" onChange={(e) => onText(e.target.value)} />
      );
  }
}
