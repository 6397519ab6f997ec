// "De-identify for research" in the Export dialog: when checked, the export is
// de-identified by the server (DICOM PS3.15 basic profile) under the research project
// named here, whose pseudonyms stay the same across its exports; the profile's options
// as checkboxes; previews of images that may show burned-in text are left out unless
// asked for. Holds no state of its own: the dialog owns the options.
import { useId } from "react";
import type { DeidentifyOptions } from "../api";

export const deidentifyOptionLabels = [
  ["retain-longitudinal-modified-dates", "Keep intervals between dates (dates shifted per patient)"],
  ["retain-patient-characteristics", "Keep patient characteristics (sex, age, size, weight)"],
  ["retain-device-identity", "Keep device identity (serial numbers, station names)"],
  ["clean-descriptors", "Keep descriptions, cleaned of identifiers"],
  ["retain-uids", "Keep the original UIDs"],
] as const;

interface Props {
  value: DeidentifyOptions | undefined;
  onChange: (value: DeidentifyOptions | undefined) => void;
}

export function DeidentifySection({ value, onChange }: Props) {
  const projectId = useId();
  const hintId = useId();
  const enabled = value !== undefined;
  const set = (next: Partial<DeidentifyOptions>) =>
    onChange({ project: "", options: [], includeBurnedIn: false, ...value, ...next });
  return (
    <fieldset className="options deidentify">
      <legend>De-identify for research</legend>
      <label className="check">
        <input
          type="checkbox"
          checked={enabled}
          aria-describedby={hintId}
          onChange={(event) => onChange(event.target.checked ? { project: "", options: [], includeBurnedIn: false } : undefined)}
        />
        <span>De-identify the export</span>
      </label>
      {enabled && (
        <>
          <div className="field">
            <label htmlFor={projectId}>Research project</label>
            <input
              id={projectId}
              type="text"
              required
              maxLength={64}
              pattern="[A-Za-z0-9._\-]+"
              value={value.project}
              onChange={(event) => set({ project: event.target.value })}
            />
          </div>
          {deidentifyOptionLabels.map(([name, label]) => (
            <label className="check" key={name}>
              <input
                type="checkbox"
                checked={value.options.includes(name)}
                onChange={(event) =>
                  set({ options: event.target.checked ? [...value.options, name] : value.options.filter((o) => o !== name) })
                }
              />
              <span>{label}</span>
            </label>
          ))}
          <label className="check">
            <input
              type="checkbox"
              checked={value.includeBurnedIn}
              onChange={(event) => set({ includeBurnedIn: event.target.checked })}
            />
            <span>Include previews of images with burned-in text</span>
          </label>
        </>
      )}
      <p id={hintId} className="hint">
        {enabled
          ? "Names, IDs, birth dates and other identifiers are removed or replaced by the project's pseudonyms, the same in every export of the project."
          : "Exports identify patients. Researchers may receive de-identified data only."}
      </p>
    </fieldset>
  );
}
