// Hands a same-origin download URL (a single-use link the server issued) to the
// browser's own download manager: the archive streams to disk with the browser's
// progress, never through JavaScript memory, and the server names the file.

export function startDownload(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.download = "";
  link.rel = "noopener";
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
}
