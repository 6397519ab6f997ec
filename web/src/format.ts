// Display forms of DICOM values and sizes. DICOM dates are YYYYMMDD, times HHMMSS.frac,
// person names Family^Given^Middle^Prefix^Suffix; any of them may be empty or partial.
// An unknown value's display form is "" (callers leave it out, or show "—" in a labelled slot).

export function dicomDate(value: string): string {
  // DA is YYYYMMDD; files from the ACR-NEMA era write YYYY.MM.DD.
  const match = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(value.trim());
  return match ? `${match[1]}-${match[2]}-${match[3]}` : value.trim();
}

/** A DICOM TM as HH:MM (143012.123 → 14:30; "14" → 14:00; ACR-NEMA's 14:30:12 too). */
export function dicomTime(value: string): string {
  const match = /^(\d{2}):?(\d{2})?/.exec(value.trim());
  if (!match) return value.trim();
  return `${match[1]}:${match[2] ?? "00"}`;
}

export function personName(value: string): string {
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = value.split("^").map((part) => part.trim());
  const first = [prefix, given, middle].filter(Boolean).join(" ");
  const name = [family, first].filter(Boolean).join(", ");
  return [name, suffix].filter(Boolean).join(" ") || "(no name)";
}

export function sexLabel(value: string): string {
  switch (value.trim().toUpperCase()) {
    case "M":
      return "Male";
    case "F":
      return "Female";
    case "O":
      return "Other";
    default:
      return "";
  }
}

const integer = new Intl.NumberFormat("en-US");

export function count(value: number): string {
  return integer.format(value);
}

export function bytes(value: number): string {
  const units = ["bytes", "KB", "MB", "GB", "TB"];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  if (unit === 0) return `${integer.format(value)} ${value === 1 ? "byte" : "bytes"}`;
  const digits = scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
  return `${scaled.toFixed(digits)} ${units[unit]}`;
}

export function timestamp(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function plural(n: number, one: string, many = one + "s"): string {
  return `${count(n)} ${n === 1 ? one : many}`;
}
