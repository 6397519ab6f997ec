// The logged-in session: token, expiry and user, kept in sessionStorage so that a reload
// keeps the login (and a new tab or a closed browser does not). Logging out, a 401 from
// any call, or reaching expiresAt ends the session; the login page's notice says why
// (or that the user logged out).
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { setAuthToken, setUnauthorizedHandler, type LoginAnswer, type User } from "./api";

const storageKey = "pacsport.session";

interface SessionState {
  token: string;
  expiresAt: string;
  user: User;
}

/** Why the last session ended, for the login page: a logout (info) or a refusal (warning). */
export interface EndNotice {
  text: string;
  tone: "info" | "warning";
}

interface SessionApi {
  session: SessionState | null;
  /** Why the last session ended; null before any. */
  endNotice: EndNotice | null;
  start: (answer: LoginAnswer) => void;
  end: (notice: EndNotice) => void;
  /** The user's own logout. */
  logOut: () => void;
}

const SessionContext = createContext<SessionApi | null>(null);

function restore(): SessionState | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(storageKey) ?? "null") as SessionState | null;
    if (stored && Date.parse(stored.expiresAt) > Date.now()) return stored;
  } catch {
    // A damaged entry is no session.
  }
  sessionStorage.removeItem(storageKey);
  return null;
}

const expired: EndNotice = { text: "Your session has expired or is no longer valid. Please log in again.", tone: "warning" };
const loggedOut: EndNotice = { text: "You have logged out.", tone: "info" };

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState | null>(() => {
    const restored = restore();
    setAuthToken(restored?.token ?? null);
    return restored;
  });
  const [endNotice, setEndNotice] = useState<EndNotice | null>(null);

  const end = useCallback((notice: EndNotice) => {
    setAuthToken(null);
    sessionStorage.removeItem(storageKey);
    setSession(null);
    setEndNotice(notice);
  }, []);
  const logOut = useCallback(() => end(loggedOut), [end]);

  const start = useCallback((answer: LoginAnswer) => {
    const state = { token: answer.token, expiresAt: answer.expiresAt, user: answer.user };
    sessionStorage.setItem(storageKey, JSON.stringify(state));
    setAuthToken(state.token);
    setEndNotice(null);
    setSession(state);
  }, []);

  useEffect(() => setUnauthorizedHandler(() => end(expired)), [end]);

  useEffect(() => {
    if (!session) return;
    // Timers fire at most ~24.8 days ahead; a token lives hours, so clamp rather than overflow.
    const delay = Math.min(Date.parse(session.expiresAt) - Date.now(), 2 ** 31 - 1);
    const timer = window.setTimeout(() => end(expired), Math.max(delay, 0));
    return () => window.clearTimeout(timer);
  }, [session, end]);

  const value = useMemo(() => ({ session, endNotice, start, end, logOut }), [session, endNotice, start, end, logOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const api = useContext(SessionContext);
  if (!api) throw new Error("useSession outside SessionProvider");
  return api;
}
