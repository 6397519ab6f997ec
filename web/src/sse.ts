// A small Server-Sent Events parser (the WHATWG "event stream" format) for streams read
// through fetch(): text goes in as it arrives, in chunks split anywhere; each complete
// event (ended by a blank line) comes out with its type ("message" unless named) and data.
// Comments (":…"), "id" and "retry" fields are ignored: the UI needs neither.

export interface SseEvent {
  type: string;
  data: string;
}

export class SseParser {
  private buffer = "";
  private type = "";
  private data: string[] = [];
  private readonly onEvent: (event: SseEvent) => void;

  constructor(onEvent: (event: SseEvent) => void) {
    this.onEvent = onEvent;
  }

  /** Feeds decoded text; calls onEvent for every event that it completes. */
  push(text: string): void {
    this.buffer += text;
    // Lines end with CRLF, LF or CR. A CR at the very end may be half of a CRLF: keep it.
    const pattern = /\r\n|\n|\r(?!$)/g;
    let start = 0;
    for (let match = pattern.exec(this.buffer); match; match = pattern.exec(this.buffer)) {
      this.line(this.buffer.slice(start, match.index));
      start = match.index + match[0].length;
    }
    this.buffer = this.buffer.slice(start);
  }

  /** The stream has ended: a CR held back as the possible start of a CRLF ends its line. */
  end(): void {
    if (this.buffer.endsWith("\r")) this.push("\n");
    // What remains is an event without its blank line: discarded, as the format says.
    this.buffer = "";
    this.type = "";
    this.data = [];
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) this.onEvent({ type: this.type || "message", data: this.data.join("\n") });
      this.type = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
  }
}
