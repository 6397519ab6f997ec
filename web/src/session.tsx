// The logged-in session: token, expiry and user, kept in sessionStorage so that a reload
// keeps the login (and a new tab or a closed browser does not). Logging out, a 401 from
// any call, or reaching expiresAt ends the session; the message says why.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { setAuthToken, setUnauthorizedHandler, type LoginAnswer, type User } from "./api";

const storageKey = "pacsport.session";

interface SessionState {
  token: string;
  expiresAt: string;
  user: User;
}

interface SessionApi {
  session: SessionState | null;
  /** Why the last session ended, for the login page; null after a plain logout. */
  endMessage: string | null;
  start: (answer: LoginAnswer) => void;
  end: (message?: string) => void;
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

const expiredMessage = "Your session has expired or is no longer valid. Please log in again.";

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<SessionState | null>(() => {
    const restored = restore();
    setAuthToken(restored?.token ?? null);
    return restored;
  });
  const [endMessage, setEndMessage] = useState<string | null>(null);

  const end = useCallback((message?: string) => {
    setAuthToken(null);
    sessionStorage.removeItem(storageKey);
    setSession(null);
    setEndMessage(message ?? null);
  }, []);

  const start = useCallback((answer: LoginAnswer) => {
    const state = { token: answer.token, expiresAt: answer.expiresAt, user: answer.user };
    sessionStorage.setItem(storageKey, JSON.stringify(state));
    setAuthToken(state.token);
    setEndMessage(null);
    setSession(state);
  }, []);

  useEffect(() => setUnauthorizedHandler(() => end(expiredMessage)), [end]);

  useEffect(() => {
    if (!session) return;
    // Timers fire at most ~24.8 days ahead; a token lives hours, so clamp rather than overflow.
    const delay = Math.min(Date.parse(session.expiresAt) - Date.now(), 2 ** 31 - 1);
    const timer = window.setTimeout(() => end(expiredMessage), Math.max(delay, 0));
    return () => window.clearTimeout(timer);
  }, [session, end]);

  const value = useMemo(() => ({ session, endMessage, start, end }), [session, endMessage, start, end]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const api = useContext(SessionContext);
  if (!api) throw new Error("useSession outside SessionProvider");
  return api;
}
