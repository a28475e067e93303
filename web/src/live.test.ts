import { describe, expect, it, vi } from 'vitest';
import { LiveFeed, backoffMs, type LiveEvent } from './live';

const ev = (id: number, status: string) =>
  `id: ${id}\nevent: order\ndata: ${JSON.stringify({ object: 'event', id, kind: 'order', ref_id: 42, status, created_at: 1, payload: { order_id: 42, status } })}\n\n`;

describe('backoffMs', () => {
  it('doubles from 1 s to at most 30 s, with up to a quarter of jitter', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map((a) => backoffMs(a, () => 0))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    expect(backoffMs(0, () => 1)).toBe(750);
  });
});

describe('LiveFeed', () => {
  it('resumes after a dropped stream with Last-Event-ID, ignores repeats, stops on 401', async () => {
    const bodies = [ev(1, 'placed') + ev(2, 'accepted'), ev(2, 'accepted') + ev(3, 'preparing')];
    const headers: Record<string, string>[] = [];
    const fetchImpl = vi.fn(async (_url: string, init?: RequestInit) => {
      headers.push({ ...(init?.headers as Record<string, string>) });
      const body = bodies.shift();
      if (body === undefined) return new Response('{"error":{}}', { status: 401 });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    });
    const sleeps: number[] = [];
    const feed = new LiveFeed({ fetchImpl, sleep: async (ms) => void sleeps.push(ms), random: () => 0 });
    const got: LiveEvent[] = [];
    feed.subscribe((e) => got.push(e));
    const ended = new Promise<void>((resolve) => feed.state.subscribe((s) => s === 'off' && resolve()));
    feed.start();
    await ended;
    expect(got.map((e) => [e.id, e.status])).toEqual([[1, 'placed'], [2, 'accepted'], [3, 'preparing']]);
    expect(fetchImpl).toHaveBeenCalledTimes(3);
    expect(headers[0]['Last-Event-ID']).toBeUndefined();
    expect(headers[1]['Last-Event-ID']).toBe('2');
    expect(headers[2]['Last-Event-ID']).toBe('3');
    expect(headers[0].Accept).toBe('text/event-stream');
    expect(sleeps).toEqual([1000, 1000]);  // each stream opened fine, so the delay starts over
  });

  it('backs off longer and longer while the server is unreachable', async () => {
    let calls = 0;
    const sleeps: number[] = [];
    const feed = new LiveFeed({
      fetchImpl: async () => {
        calls++;
        if (calls > 4) return new Response('', { status: 401 });
        throw new TypeError('Failed to fetch');
      },
      sleep: async (ms) => void sleeps.push(ms),
      random: () => 0,
    });
    const ended = new Promise<void>((resolve) => feed.state.subscribe((s) => s === 'off' && resolve()));
    feed.start();
    await ended;
    expect(sleeps).toEqual([1000, 2000, 4000, 8000]);
  });

  it('stops at once when stopped', async () => {
    const feed = new LiveFeed({
      fetchImpl: (_url, init) => new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      }),
    });
    feed.start();
    expect(feed.state.get()).toBe('connecting');
    feed.stop();
    expect(feed.state.get()).toBe('off');
  });
});
