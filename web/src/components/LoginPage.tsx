// The login form. Shows why the previous session ended (logged out, expired, invalid) when it did.
import { useState, type FormEvent } from "react";
import { ApiError, login } from "../api";
import { useSession } from "../session";

export function LoginPage() {
  const { start, endNotice } = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      start(await login(username, password));
      if (window.location.pathname === "/" || window.location.pathname === "/login") {
        window.history.replaceState(null, "", "/patients");
      }
    } catch (reason) {
      const failure = reason instanceof ApiError ? reason : null;
      setError(
        failure?.status === 401
          ? "Invalid username or password."
          : failure?.status === 429
            ? "Too many failed logins from this address. Wait a minute and try again."
            : (failure?.message ?? "Login failed."),
      );
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand login-brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">pacsport</span>
        </div>
        <h1 id="login-title">Log in</h1>
        <p className="muted">Medical image export for your hospital.</p>
        {endNotice && !error && (
          <p className={`notice notice-${endNotice.tone}`} role="status">
            {endNotice.text}
          </p>
        )}
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(event) => setUsername(event.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <button type="submit" className="button button-primary button-wide" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
      </form>
    </main>
  );
}
