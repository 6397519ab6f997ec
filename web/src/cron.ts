// Cron expressions as the Schedules page offers them: two presets (nightly, weekly) or a
// custom 5-field expression (minute hour day-of-month month day-of-week), and a
// readable description of the simple forms. The server parses and checks every
// expression; this only names what it can and says "Custom" otherwise.

export interface CronPreset {
  id: string;
  label: string;
  cron: string;
}

export const cronPresets: CronPreset[] = [
  { id: "nightly", label: "Nightly at 02:00", cron: "0 2 * * *" },
  { id: "weekly", label: "Weekly, Sunday at 03:00", cron: "0 3 * * 0" },
];

export const customPreset = "custom";

/** The preset an expression is (whitespace aside), or "custom". */
export function presetOf(cron: string): string {
  const normal = cron.trim().split(/\s+/).join(" ");
  return cronPresets.find((preset) => preset.cron === normal)?.id ?? customPreset;
}

const weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const number = (field: string, max: number): number | null => {
  if (!/^\d{1,2}$/.test(field)) return null;
  const value = Number(field);
  return value <= max ? value : null;
};

const ordinal = (n: number) => {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
};

/**
 * "Every day at 02:00", "Every Sunday at 03:00", "On the 1st of every month at 04:30",
 * "Every hour at minute 15"; null for an expression of another form (or not 5 fields).
 */
export function describeCron(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return null;
  const [minuteField, hourField, dayField, monthField, weekdayField] = fields;
  const minute = number(minuteField, 59);
  if (minute === null || monthField !== "*") return null;
  if (hourField === "*" && dayField === "*" && weekdayField === "*") return `Every hour at minute ${minute}`;
  const hour = number(hourField, 23);
  if (hour === null) return null;
  const time = `${String(hour).padStart(2, "0")}:${String(minute).padStart(2, "0")}`;
  if (dayField === "*" && weekdayField === "*") return `Every day at ${time}`;
  if (dayField === "*" && weekdayField === "1-5") return `Every weekday (Monday to Friday) at ${time}`;
  const weekday = number(weekdayField, 7);
  if (dayField === "*" && weekday !== null) return `Every ${weekdays[weekday]} at ${time}`;
  const day = number(dayField, 31);
  if (day !== null && day >= 1 && weekdayField === "*") return `On the ${ordinal(day)} of every month at ${time}`;
  return null;
}

/** The browser's time zone (IANA name), the default of a new schedule. */
export function browserTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
}

/** Every IANA time zone the browser knows, for the time zone field's suggestions. */
export function knownTimeZones(): string[] {
  const intl = Intl as typeof Intl & { supportedValuesOf?: (key: string) => string[] };
  return intl.supportedValuesOf?.("timeZone") ?? [browserTimeZone()];
}
