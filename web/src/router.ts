// The views live at their own paths (/patients, /studies, /jobs, /audit), which the
// server answers with index.html (SPA fallback), so reload and Back work.
import { useCallback, useEffect, useState } from "react";

export type View = "patients" | "studies" | "jobs" | "audit";

function viewOf(pathname: string): View {
  if (pathname.startsWith("/studies")) return "studies";
  if (pathname.startsWith("/jobs")) return "jobs";
  if (pathname.startsWith("/audit")) return "audit";
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
