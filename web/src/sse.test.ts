import { describe, expect, it } from 'vitest';
import { SseParser, readSse, type SseEvent } from './sse';

const stream = [
  ': ping',
  'event: tool_call',
  'data: {"id":"call_1","name":"search_menu","arguments":"{\\"query\\":\\"oat latte\\"}"}',
  '',
  'event: text',
  'data: {"delta":"Luna Café 有燕麦拿铁"}',
  '',
  'id: 42',
  'event: order',
  'data: {"a":1,',
  'data:  "b":2}',
  '',
  'event: done',
  'data: {"steps":2,"finish":"stop"}',
  '',
  '',
].join('\n');

const expected: SseEvent[] = [
  { event: 'tool_call', data: '{"id":"call_1","name":"search_menu","arguments":"{\\"query\\":\\"oat latte\\"}"}', id: '' },
  { event: 'text', data: '{"delta":"Luna Café 有燕麦拿铁"}', id: '' },
  { event: 'order', data: '{"a":1,\n "b":2}', id: '42' },
  { event: 'done', data: '{"steps":2,"finish":"stop"}', id: '42' },
];

function parseAll(chunks: string[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  for (const c of chunks) out.push(...p.push(c));
  p.end();
  return out;
}

describe('SseParser', () => {
  it('parses events, joins multi-line data, skips comments, keeps the last id', () => {
    expect(parseAll([stream])).toEqual(expected);
  });

  it('gives the same events however the text is split in two', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(parseAll([stream.slice(0, i), stream.slice(i)])).toEqual(expected);
    }
  });

  it('gives the same events fed one character at a time', () => {
    expect(parseAll([...stream])).toEqual(expected);
  });

  it('accepts CRLF and CR line ends, split anywhere, including between CR and LF', () => {
    for (const eol of ['\r\n', '\r']) {
      const text = stream.split('\n').join(eol);
      expect(parseAll([text])).toEqual(expected);
      for (let i = 0; i <= text.length; i++) {
        expect(parseAll([text.slice(0, i), text.slice(i)])).toEqual(expected);
      }
    }
  });

  it('treats CR then LF in separate chunks as one line end, not two', () => {
    // Were the LF a second line end, the empty line would dispatch "a" alone before "b".
    expect(parseAll(['data: a\r', '\ndata: b\r\n\r\n'])).toEqual([{ event: 'message', data: 'a\nb', id: '' }]);
  });

  it('drops a leading byte-order mark once and defaults the event name to message', () => {
    expect(parseAll(['\uFEFFdata: x\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
    expect(parseAll(['\uFEFF', 'data: x\n\n'])).toEqual([{ event: 'message', data: 'x', id: '' }]);
  });

  it('strips exactly one space after the colon and accepts a field without a colon', () => {
    expect(parseAll(['data:  two\ndata\ndata:none\n\n'])).toEqual([{ event: 'message', data: ' two\n\nnone', id: '' }]);
  });

  it('does not dispatch an event without data, nor one the stream cut before its blank line', () => {
    expect(parseAll(['event: lonely\n\n', 'data: cut'])).toEqual([]);
  });

  it('reads retry as a number of milliseconds and ignores a bad one', () => {
    const p = new SseParser();
    p.push('retry: 2500\n\n');
    expect(p.retryMs).toBe(2500);
    p.push('retry: soon\n\n');
    expect(p.retryMs).toBe(2500);
  });

  it('ignores an id with a NUL', () => {
    const p = new SseParser();
    p.push('id: 7\ndata: a\n\nid: 8\0\ndata: b\n\n');
    expect(p.lastEventId).toBe('7');
  });
});

function byteStream(bytes: Uint8Array, chunk: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(at, at + chunk));
      at += chunk;
    },
  });
}

describe('readSse', () => {
  it('decodes UTF-8 split inside a character (one byte per chunk)', async () => {
    const bytes = new TextEncoder().encode(stream);
    for (const size of [1, 2, 3, 5, 64]) {
      const got: SseEvent[] = [];
      await readSse(byteStream(bytes, size), (e) => got.push(e));
      expect(got).toEqual(expected);
    }
  });

  it('rejects when the stream fails mid-way', async () => {
    const failing = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: a\n\n'));
        controller.error(new TypeError('network error'));
      },
    });
    const got: SseEvent[] = [];
    await expect(readSse(failing, (e) => got.push(e))).rejects.toThrow('network error');
  });
});
