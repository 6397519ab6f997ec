// The views live at their own paths (/patients, /studies, /jobs, /audit, /destinations,
// /schedules), which the server answers with index.html (SPA fallback), so reload and
// Back work.
import { useCallback, useEffect, useMemo, useState } from "react";

export type View = "patients" | "studies" | "jobs" | "audit" | "destinations" | "schedules";

/** The views only admins see (a user asking for one gets the patients). */
export const adminViews: readonly View[] = ["audit", "destinations", "schedules"];

function viewOf(pathname: string): View {
  if (pathname.startsWith("/studies")) return "studies";
  if (pathname.startsWith("/jobs")) return "jobs";
  if (pathname.startsWith("/audit")) return "audit";
  if (pathname.startsWith("/destinations")) return "destinations";
  if (pathname.startsWith("/schedules")) return "schedules";
  return "patients";
}

export function useView(): [View, (view: View) => void] {
  const [view, setView] = useState<View>(() => viewOf(window.location.pathname));
  useEffect(() => {
    const onPop = () => setView(viewOf(window.location.pathname));
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const navigate = useCallback((next: View) => {
    if (viewOf(window.location.pathname) !== next || window.location.pathname === "/") {
      window.history.pushState(null, "", `/${next}`);
    }
    setView(next);
  }, []);
  return [view, navigate];
}

/** Changes to the URL's query: a value sets a parameter, null or "" removes it. */
export type UrlChanges = Record<string, string | null>;

/**
 * The page's state that lives in the URL's query (search, filters, sort, page), so that a
 * reload or a shared link keeps it and Back restores the previous one. update() adds a
 * history entry, or with "replace" rewrites the current one (for typing, which would
 * otherwise add an entry per pause).
 */
export function useUrlState(): [URLSearchParams, (changes: UrlChanges, history?: "push" | "replace") => void] {
  const [query, setQuery] = useState(() => window.location.search);
  useEffect(() => {
    const onPop = () => setQuery(window.location.search);
    window.addEventListener("popstate", onPop);
    return () => window.removeEventListener("popstate", onPop);
  }, []);
  const update = useCallback((changes: UrlChanges, history: "push" | "replace" = "push") => {
    const params = new URLSearchParams(window.location.search);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") params.delete(key);
      else params.set(key, value);
    }
    const text = params.toString();
    const next = text ? `?${text}` : "";
    if (next !== window.location.search) {
      const url = window.location.pathname + next;
      if (history === "push") window.history.pushState(null, "", url);
      else window.history.replaceState(null, "", url);
    }
    setQuery(window.location.search);
  }, []);
  const params = useMemo(() => new URLSearchParams(query), [query]);
  return [params, update];
}

/**
 * A text box bound to URL parameter `key`: the box follows the user's typing at once and
 * the URL (and so the search) follows 300 ms after the last keystroke, resetting the page
 * ("offset"); Back or a link that changes the parameter refills the box.
 */
export function useUrlText(
  params: URLSearchParams,
  update: (changes: UrlChanges, history?: "push" | "replace") => void,
  key: string,
): [string, (text: string) => void] {
  const inUrl = params.get(key) ?? "";
  const [text, setText] = useState(inUrl);
  const [pending, setPending] = useState(false);
  useEffect(() => {
    if (!pending && text.trim() !== inUrl) setText(inUrl);
  }, [inUrl]); // only a change of the URL refills the box
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(() => {
      setPending(false);
      if (text.trim() !== inUrl) update({ [key]: text.trim(), offset: null }, "replace");
    }, 300);
    return () => window.clearTimeout(timer);
  }, [text, pending, inUrl, key, update]);
  const edit = useCallback((next: string) => {
    setText(next);
    setPending(true);
  }, []);
  return [text, edit];
}

/** A non-negative integer URL parameter (an offset, a page size), or `fallback`. */
export function numberParam(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && value !== "" && Number.isInteger(n) && n >= 0 ? n : fallback;
}
