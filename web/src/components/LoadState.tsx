// What a list shows instead of (or above) its rows: loading, an error with Retry, or empty.
import type { ApiError } from "../api";

function errorText(error: ApiError): string {
  switch (error.status) {
    case 0:
      return error.message;
    case 403:
      return `You are not allowed to do this (${error.message}).`;
    case 404:
      return `Not found: ${error.message}.`;
    case 503:
      return `The server is busy or a source is unavailable: ${error.message}. Try again shortly.`;
    default:
      return error.message;
  }
}

export function ErrorNotice({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  return (
    <div className="notice notice-error" role="alert">
      <span>{errorText(error)}</span>
      {onRetry && (
        <button type="button" className="button button-small" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="placeholder" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: string }) {
  return <p className="placeholder">{children}</p>;
}
