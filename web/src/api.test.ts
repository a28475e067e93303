import { afterEach, describe, expect, it, vi } from 'vitest';
import { Api, errorFromException, errorFromResponse, newIdempotencyKey, reachable, type FetchLike } from './api';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TurnEvent } from './types';

const recorded = (name: string) => readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'test', name), 'utf8');

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(typeof body === 'string' ? body : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

const appError = (message: string, type: string, code: string, param: string | null = null) => ({
  error: { message, type, param, code },
});

afterEach(() => reachable.set(true));

describe('errorFromResponse', () => {
  it('maps each status of the app API to a kind and keeps the server message and param', () => {
    const cases: [number, string, string][] = [
      [400, 'invalid', 'invalid_argument'],
      [401, 'unauthenticated', 'unauthenticated'],
      [403, 'forbidden', 'permission_denied'],
      [404, 'not_found', 'not_found'],
      [409, 'conflict', 'failed_precondition'],
      [413, 'too_large', 'invalid_argument'],
      [429, 'rate_limited', 'resource_exhausted'],
      [503, 'unavailable', 'unavailable'],
      [500, 'server', 'internal'],
    ];
    for (const [status, kind, code] of cases) {
      const e = errorFromResponse(status, JSON.stringify(appError(`quantity: bad ${status}`, 'x', code, 'quantity')));
      expect(e).toEqual({ kind, status, code, param: 'quantity', message: `quantity: bad ${status}` });
    }
  });

  it('falls back to a plain message when the body is not the error JSON', () => {
    const e = errorFromResponse(500, '<html>oops</html>');
    expect(e.kind).toBe('server');
    expect(e.message).toBe('the server failed to answer');
    expect(e.code).toBeNull();
    expect(errorFromResponse(404, '').message).toBe('not found');
    expect(errorFromResponse(409, '{"error":"flat"}').message).toBe('refused in the current state');
  });

  it('reads a proxy gateway error as the server being unreachable', () => {
    expect(errorFromResponse(502, 'Bad Gateway').kind).toBe('offline');
    expect(errorFromResponse(504, '').kind).toBe('offline');
  });
});

describe('errorFromException', () => {
  it('tells an abort from a network failure', () => {
    expect(errorFromException(new DOMException('The user aborted a request.', 'AbortError')).kind).toBe('aborted');
    expect(errorFromException(new TypeError('Failed to fetch'))).toMatchObject({ kind: 'offline', status: 0 });
  });
});

describe('Api.request', () => {
  it('returns the parsed body, sends cookies, JSON and the Idempotency-Key', async () => {
    const fetch = vi.fn<FetchLike>(async () => json(201, { object: 'top_up', amount: 1000, balance: 51000 }));
    const api = new Api(fetch);
    const r = await api.topUp(1000, 'key-1');
    expect(r).toEqual({ ok: true, value: { object: 'top_up', amount: 1000, balance: 51000 }, status: 201 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/v1/wallet/top-up');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(init?.body).toBe('{"amount":1000}');
    expect(init?.headers).toMatchObject({ 'Content-Type': 'application/json', 'Idempotency-Key': 'key-1' });
  });

  it('builds query strings and leaves out empty values', async () => {
    const fetch = vi.fn<FetchLike>(async () => json(200, { object: 'list', data: [], has_more: false }));
    const api = new Api(fetch);
    await api.storeOrders(3, { limit: 100, before: undefined, status: '' });
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/merchant/orders?merchant_id=3&limit=100');
  });

  it('returns an error value with the server message on a refusal, never throws', async () => {
    const api = new Api(async () => json(409, appError('merchant 6: closed now', 'conflict_error', 'failed_precondition')));
    const r = await api.cancelOrder(5);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'conflict', status: 409, message: 'merchant 6: closed now' });
  });

  it('marks the server unreachable on a network failure and reachable again on any answer', async () => {
    let fail = true;
    const api = new Api(async () => {
      if (fail) throw new TypeError('Failed to fetch');
      return json(404, appError('order 9: not found', 'not_found_error', 'not_found'));
    });
    const r = await api.getOrder(9);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('offline');
    expect(reachable.get()).toBe(false);
    fail = false;
    await api.getOrder(9);
    expect(reachable.get()).toBe(true);
  });

  it('calls onUnauthenticated on a 401, except for the sign-in route itself', async () => {
    const api = new Api(async () => json(401, appError('email or password is wrong', 'authentication_error', 'unauthenticated')));
    const signedOut = vi.fn();
    api.onUnauthenticated = signedOut;
    await api.login('a@example.com', 'nope');
    expect(signedOut).not.toHaveBeenCalled();
    await api.wallet();
    expect(signedOut).toHaveBeenCalledTimes(1);
  });

  it('reports a success body that is not JSON as a bad response', async () => {
    const api = new Api(async () => new Response('<html>', { status: 200 }));
    const r = await api.wallet();
    expect(!r.ok && r.error.kind).toBe('bad_response');
  });
});

function sse(text: string, status = 200): Response {
  return new Response(text, { status, headers: { 'Content-Type': 'text/event-stream' } });
}

describe('Api.sendMessage', () => {
  it('hands each event to the caller in order and resolves with done', async () => {
    const body = [
      'event: tool_call', 'data: {"id":"c1","name":"get_menu","arguments":"{}"}', '',
      ': ping', '',
      'event: card', 'data: {"type":"wallet","data":{"balance":100}}', '',
      'event: text', 'data: {"delta":"Hi"}', '',
      'event: done', 'data: {"steps":1,"finish":"stop"}', '', '',
    ].join('\n');
    const fetch = vi.fn<FetchLike>(async () => sse(body));
    const api = new Api(fetch);
    const events: TurnEvent[] = [];
    const r = await api.sendMessage('ses_1', 'hello', (e) => events.push(e));
    expect(r).toEqual({ ok: true, value: { steps: 1, finish: 'stop' }, status: 200 });
    expect(events.map((e) => e.type)).toEqual(['tool_call', 'card', 'text', 'done']);
    expect(fetch.mock.calls[0][0]).toBe('/api/v1/sessions/ses_1/messages');
    expect(fetch.mock.calls[0][1]?.headers).toMatchObject({ Accept: 'text/event-stream' });
    expect(fetch.mock.calls[0][1]?.body).toBe('{"text":"hello"}');
  });

  it('reports a stream that ends without done as cut off', async () => {
    const api = new Api(async () => sse('event: text\ndata: {"delta":"Hi"}\n\n'));
    const r = await api.sendMessage('ses_1', 'hello', () => undefined);
    expect(!r.ok && r.error).toMatchObject({ kind: 'bad_response', message: 'the answer ended before it was complete' });
  });

  it('reports 409 while another message is answered', async () => {
    const api = new Api(async () => json(409, appError('a message is being answered', 'conflict_error', 'failed_precondition')));
    const r = await api.sendMessage('ses_1', 'hello', () => undefined);
    expect(!r.ok && r.error).toMatchObject({ kind: 'conflict', message: 'a message is being answered' });
  });

  it('reports an abort as aborted', async () => {
    const controller = new AbortController();
    const api = new Api(async (_url, init) => {
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    });
    const pending = api.sendMessage('ses_1', 'hello', () => undefined, controller.signal);
    controller.abort();
    const r = await pending;
    expect(!r.ok && r.error.kind).toBe('aborted');
    expect(reachable.get()).toBe(true);
  });

  it('reports a connection lost mid-answer', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('event: text\ndata: {"delta":"Hi"}\n\n'));
        c.error(new TypeError('network error'));
      },
    });
    const api = new Api(async () => new Response(body, { status: 200 }));
    const r = await api.sendMessage('ses_1', 'hello', () => undefined);
    expect(!r.ok && r.error).toMatchObject({ kind: 'offline', message: 'the connection was lost while the answer streamed' });
  });
});

describe('Api.sendMessage on recorded answers of qwenlayer serve', () => {
  function chunked(text: string, size: number): Response {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (at >= bytes.length) return c.close();
        c.enqueue(bytes.slice(at, at + size));
        at += size;
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  }

  it.each([['turn_search.sse'], ['turn_checkout.sse']])('%s: every event in order, whatever the chunk size', async (name) => {
    const text = recorded(name);
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    for (const size of [1, 7, 100, 100000]) {
      const events: TurnEvent[] = [];
      const r = await new Api(async () => chunked(text, size)).sendMessage('ses_1', 'hi', (e) => events.push(e));
      expect(r.ok).toBe(true);
      expect(events.map((e) => e.type)).toEqual(names);
    }
  });

  it('the checkout turn carries the pending action with its hash', async () => {
    const events: TurnEvent[] = [];
    await new Api(async () => chunked(recorded('turn_checkout.sse'), 64)).sendMessage('ses_1', 'hi', (e) => events.push(e));
    const action = events.find((e) => e.type === 'action');
    expect(action?.type === 'action' && action.data.status).toBe('pending');
    expect(action?.type === 'action' && action.data.hash).toMatch(/^[0-9a-f]{64}$/);
    const text = events.filter((e) => e.type === 'text').map((e) => (e.type === 'text' ? e.data.delta : '')).join('');
    expect(text).toContain(action?.type === 'action' ? action.data.summary : '?');
  });
});

describe('newIdempotencyKey', () => {
  it('gives distinct printable keys', () => {
    const a = newIdempotencyKey();
    const b = newIdempotencyKey();
    expect(a).not.toBe(b);
    expect(a).toMatch(/^[\x21-\x7e]{16,255}$/);
  });
});
