// Hands a download to the browser's own download manager. A same-origin URL (a
// single-use link the server issued) streams the archive to disk with the browser's
// progress, never through JavaScript memory, and the server names the file. A file the
// UI fetched itself (a call that needs the Bearer header) is handed over as a blob.

function clickLink(href: string, name: string): void {
  const link = document.createElement("a");
  link.href = href;
  link.download = name;
  link.rel = "noopener";
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
}

export function startDownload(url: string): void {
  clickLink(url, "");
}

export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  clickLink(url, name);
  // The download manager reads the blob from the URL once the click is handled; then it can go.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
