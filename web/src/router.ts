// The views live at their own paths (/patients, /studies, /jobs, /audit, /destinations,
// /schedules), which the server answers with index.html (SPA fallback), so reload and
// Back work.
import { useCallback, useEffect, useState } from "react";

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
