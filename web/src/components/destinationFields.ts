// The form of each destination kind: its settings (what the server stores and returns)
// and its secrets (write-only: set or replaced, never read back). The Destinations
// dialog renders these descriptions; nothing else knows a kind's keys.
import type { DestinationKind, SettingValue } from "../destinationsApi";

export type SettingField =
  | { key: string; label: string; type: "text" | "url" | "email" | "textarea"; required?: boolean; placeholder?: string; hint?: string }
  | { key: string; label: string; type: "number"; required?: boolean; min: number; max: number; placeholder?: string; hint?: string }
  /** A choice; the "" choice (listed first) leaves the setting out: the server's default. */
  | { key: string; label: string; type: "select"; choices: Record<string, string>; hint?: string }
  /** Yes or no; "" leaves the setting out (the server's default: no). */
  | { key: string; label: string; type: "boolean"; hint?: string }
  /** Several values, one a line (e-mail recipients). */
  | { key: string; label: string; type: "list"; required?: boolean; placeholder?: string; hint?: string };

export interface SecretField {
  key: string;
  label: string;
  hint?: string;
}

export interface KindForm {
  name: string;
  settings: SettingField[];
  secrets: SecretField[];
  /** A line describing the secrets a destination of this kind needs. */
  secretsHint: string;
}

export const kindForms: Record<DestinationKind, KindForm> = {
  s3: {
    name: "S3-compatible storage",
    settings: [
      { key: "endpoint", label: "Endpoint", type: "url", placeholder: "https://s3.REGION.amazonaws.com", hint: "Leave empty for AWS in the region." },
      { key: "region", label: "Region", type: "text", required: true, placeholder: "eu-west-1" },
      { key: "bucket", label: "Bucket", type: "text", required: true },
      { key: "prefix", label: "Key prefix", type: "text", placeholder: "pacsport/", hint: "Put in front of every archive's name." },
      {
        key: "addressing",
        label: "Addressing",
        type: "select",
        choices: { "": "Default (path with an endpoint, else virtual host)", path: "Path style (endpoint/bucket/key)", virtual: "Virtual host (bucket.endpoint/key)" },
      },
      { key: "accessKeyId", label: "Access key ID", type: "text", required: true },
      { key: "partSizeMiB", label: "Part size (MiB)", type: "number", min: 5, max: 5120, placeholder: "server default", hint: "Multipart uploads send the archive in parts of this size." },
    ],
    secrets: [
      { key: "secretAccessKey", label: "Secret access key" },
      { key: "sessionToken", label: "Session token", hint: "Only for temporary credentials." },
    ],
    secretsHint: "The secret access key is needed; a session token only with temporary credentials.",
  },
  "azure-blob": {
    name: "Azure Blob storage",
    settings: [
      { key: "endpoint", label: "Endpoint", type: "url", required: true, placeholder: "https://ACCOUNT.blob.core.windows.net" },
      { key: "account", label: "Account", type: "text", hint: "Needed with an account key." },
      { key: "container", label: "Container", type: "text", required: true },
      { key: "prefix", label: "Blob name prefix", type: "text", placeholder: "pacsport/" },
      { key: "blockSizeMiB", label: "Block size (MiB)", type: "number", min: 1, max: 4000, placeholder: "server default", hint: "Archives are uploaded as blocks of this size." },
    ],
    secrets: [
      { key: "accountKey", label: "Account key", hint: "Shared Key authentication." },
      { key: "sasToken", label: "SAS token", hint: "Instead of the account key." },
    ],
    secretsHint: "Either the account key or a SAS token.",
  },
  email: {
    name: "E-mail",
    settings: [
      { key: "url", label: "SMTP server", type: "url", required: true, placeholder: "smtp://mail.example.org:587", hint: "smtp:// or smtps://" },
      {
        key: "starttls",
        label: "STARTTLS",
        type: "select",
        choices: { "": "Required (default)", none: "None: plain text, to a local relay only" },
        hint: "For smtp://; smtps:// is always TLS.",
      },
      { key: "caFile", label: "CA certificates file", type: "text", placeholder: "system's", hint: "PEM file on the server, instead of the system's authorities." },
      { key: "from", label: "From", type: "email", required: true, placeholder: "pacsport@example.org" },
      { key: "to", label: "To", type: "list", required: true, placeholder: "one address a line", hint: "One recipient a line." },
      { key: "username", label: "SMTP user name", type: "text" },
      { key: "subject", label: "Subject", type: "text", placeholder: "server default", hint: "No patient identifiers unless your hospital allows them." },
      { key: "body", label: "Message", type: "textarea", placeholder: "server default", hint: "Must contain {link}: the single-use, expiring link to the archive." },
    ],
    secrets: [{ key: "password", label: "SMTP password" }],
    secretsHint: "The password of the SMTP user, if the server asks for one.",
  },
  dicom: {
    name: "PACS (DICOM C-STORE)",
    settings: [
      { key: "aeTitle", label: "AE title", type: "text", required: true, placeholder: "ARCHIVE", hint: "The peer's own AE title." },
      { key: "host", label: "Host", type: "text", required: true, placeholder: "pacs.example.org" },
      { key: "port", label: "Port", type: "number", required: true, min: 1, max: 65535, placeholder: "104" },
      { key: "callingAeTitle", label: "Calling AE title", type: "text", placeholder: "PACSPORT", hint: "This server's AE title, as the peer knows it." },
      { key: "tls", label: "TLS", type: "boolean", hint: "DICOM over TLS (the peer must listen with TLS)." },
      { key: "timeoutSeconds", label: "Timeout (s)", type: "number", min: 1, max: 3600, placeholder: "30" },
    ],
    secrets: [{ key: "caCertificate", label: "CA certificate (PEM)", hint: "Only with TLS, to trust a private authority." }],
    secretsHint: "None, unless TLS with a private certificate authority.",
  },
  dicomweb: {
    name: "PACS (DICOMweb STOW-RS)",
    settings: [
      { key: "url", label: "DICOMweb base URL", type: "url", required: true, placeholder: "https://pacs.example.org/dicom-web" },
      {
        key: "auth",
        label: "Authentication",
        type: "select",
        choices: { "": "None (default)", basic: "Basic (user name and password)", bearer: "Bearer token" },
      },
      { key: "batchInstances", label: "Batch size (instances)", type: "number", min: 1, max: 1000, placeholder: "50", hint: "Instances sent in one STOW-RS request." },
    ],
    secrets: [
      { key: "username", label: "User name", hint: "With basic authentication." },
      { key: "password", label: "Password", hint: "With basic authentication." },
      { key: "token", label: "Bearer token", hint: "With bearer authentication." },
    ],
    secretsHint: "A user name and password with basic authentication, a token with bearer.",
  },
};

export const destinationKinds = Object.keys(kindForms) as DestinationKind[];

/** The form's text for a stored setting. */
export function settingText(field: SettingField, value: SettingValue | undefined): string {
  if (value === undefined || value === null) return "";
  if (field.type === "list") return Array.isArray(value) ? value.join("\n") : String(value);
  if (field.type === "boolean") return value === true ? "true" : "false";
  return String(value);
}

/**
 * The settings object to send: empty fields (and the "" choice) are left out, numbers
 * and lists parsed. The server checks everything again and names a bad field.
 */
export function settingsOf(form: KindForm, texts: Record<string, string>): Record<string, SettingValue> {
  const settings: Record<string, SettingValue> = {};
  for (const field of form.settings) {
    const text = (texts[field.key] ?? "").trim();
    if (field.type === "list") {
      const items = text.split(/[\n,;]/).map((item) => item.trim()).filter(Boolean);
      if (items.length > 0) settings[field.key] = items;
    } else if (field.type === "number") {
      if (text !== "") settings[field.key] = Number(text);
    } else if (field.type === "boolean") {
      if (text !== "") settings[field.key] = text === "true";
    } else if (text !== "") {
      // A message keeps its own line breaks and indentation.
      settings[field.key] = field.type === "textarea" ? (texts[field.key] ?? "") : text;
    }
  }
  return settings;
}

/** The one-line summary of where a destination sends archives. */
export function destinationSummary(kind: DestinationKind, settings: Record<string, SettingValue>): string {
  const text = (key: string) => (settings[key] === undefined ? "" : String(settings[key]));
  switch (kind) {
    case "s3":
      return `s3://${text("bucket")}/${text("prefix")} at ${text("endpoint")}`;
    case "azure-blob":
      return `${text("account")}/${text("container")}/${text("prefix")} at ${text("endpoint")}`;
    case "email": {
      const to = settings.to;
      return `to ${Array.isArray(to) ? to.join(", ") : text("to")} via ${text("url")}`;
    }
    case "dicom":
      return `${text("aeTitle")} at ${text("host")}:${text("port")}${settings.tls === true ? " (TLS)" : ""}`;
    case "dicomweb":
      return text("url");
  }
}
