// An incremental parser of server-sent events (the WHATWG "event stream" format), for streams
// read with fetch: the assistant's answer to POST /api/v1/sessions/{id}/messages and the live
// events of GET /api/v1/events. Chunks may be split anywhere (inside a line, between CR and LF,
// inside a UTF-8 character when fed bytes through readSse); lines end in LF, CRLF or CR; `data:`
// lines of one event are joined with "\n"; comments (": ping") are skipped; `id:` is remembered
// as the last event id (for Last-Event-ID) and `retry:` as the reconnection delay.

export interface SseEvent {
  event: string;  // the `event:` field, "message" when none was given
  data: string;   // the `data:` lines joined with "\n"
  id: string;     // the last event id seen so far in the stream ("" when none)
}

export class SseParser {
  private buffer = '';          // text after the last complete line
  private pendingCr = false;    // the previous chunk ended in CR: a leading LF belongs to it
  private started = false;      // a leading byte-order mark is dropped once
  private eventType = '';
  private data: string[] = [];
  private hasData = false;
  lastEventId = '';
  retryMs: number | null = null;

  // Feeds decoded text; returns the events completed by it, in order.
  push(chunk: string): SseEvent[] {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (chunk.length === 0) return [];
    if (this.pendingCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.pendingCr = false;
    const out: SseEvent[] = [];
    let text = this.buffer + chunk;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;  // CR at the end of this chunk: the next may start with LF
        }
      }
      start = i + 1;
    }
    text = text.slice(start);
    this.buffer = text;
    return out;
  }

  // The stream ended: an event without its blank line is dropped, as the standard says.
  end(): void {
    this.buffer = '';
    this.eventType = '';
    this.data = [];
    this.hasData = false;
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.hasData) {
        out.push({ event: this.eventType || 'message', data: this.data.join('\n'), id: this.lastEventId });
      }
      this.eventType = '';
      this.data = [];
      this.hasData = false;
      return;
    }
    if (line.startsWith(':')) return;  // a comment, e.g. ": ping"
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventType = value;
        break;
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
        break;
      default:
        break;  // unknown fields are ignored
    }
  }
}

// Reads a byte stream to its end, handing each event to `onEvent` as it completes. Resolves when
// the stream ends; rejects when reading fails (a dropped connection) or `signal` aborts.
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
  parser: SseParser = new SseParser(),
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8');
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      for (const e of parser.push(decoder.decode(value, { stream: true }))) onEvent(e);
    }
    for (const e of parser.push(decoder.decode())) onEvent(e);
    parser.end();
  } finally {
    reader.releaseLock();
  }
}
