// The UI's Server-Sent Events parser (src/sse.ts), without a browser: the job stream's
// events come out whole and in order however the network splits the text, with CRLF,
// LF or CR line ends, comments, other event types and multi-line data.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import ts from "typescript";

const source = readFileSync(path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../src/sse.ts"), "utf8");
const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
const { SseParser } = await import(`data:text/javascript,${encodeURIComponent(outputText)}`);

function parse(chunks) {
  const events = [];
  const parser = new SseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return events;
}

const job = (state, done) => JSON.stringify({ id: "j1", state, progress: { bytesDone: done, bytesTotal: 100 } });
const expected = [
  { type: "job", data: job("running", 10) },
  { type: "message", data: "line one\nline two" },
  { type: "job", data: job("done", 100) },
];

for (const [name, end] of [
  ["LF", "\n"],
  ["CRLF", "\r\n"],
  ["CR", "\r"],
]) {
  const text =
    `: a comment${end}retry: 1000${end}event: job${end}data: ${job("running", 10)}${end}${end}` +
    `data: line one${end}data:line two${end}id: 7${end}${end}` +
    `event: job${end}data: ${job("done", 100)}${end}${end}`;

  test(`${name} line ends: whole, every split of the text`, () => {
    assert.deepEqual(parse([text]), expected);
    for (let cut = 0; cut <= text.length; cut++) {
      assert.deepEqual(parse([text.slice(0, cut), text.slice(cut)]), expected, `cut at ${cut}`);
    }
    assert.deepEqual(parse([...text]), expected, "one character at a time");
  });
}

test("an event without data, or not yet ended by a blank line, is not dispatched", () => {
  assert.deepEqual(parse(["event: job\n\n", `event: job\ndata: ${job("running", 5)}\n`]), []);
});
