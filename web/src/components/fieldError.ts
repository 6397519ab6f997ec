// Which form field a 400 answer is about: the server's message names the field
// ("settings.bucket must not be empty", "cron: …"), and the form shows the message
// next to that field as well as above the buttons.
import type { ApiError } from "../api";

/**
 * The first of `keys` that the error's message names, or null when it names none or is
 * not a 400. A qualified name (`settings.to`) wins over a bare word, which may be English
 * ("to", "from").
 */
export function fieldOfError(error: ApiError | null, keys: string[]): string | null {
  if (!error || error.status !== 400) return null;
  return firstNamed(error.message, keys, "(settings|secrets|options)\\.") ?? firstNamed(error.message, keys, "");
}

function firstNamed(message: string, keys: string[], qualifier: string): string | null {
  let best: { key: string; at: number } | null = null;
  for (const key of keys) {
    const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const match = new RegExp(`(^|[^\\w.-])${qualifier}${escaped}(?![\\w-])`).exec(message);
    if (match && (best === null || match.index < best.at)) best = { key, at: match.index };
  }
  return best?.key ?? null;
}
