// The signed-in user's live changes (GET /api/v1/events, docs/api/events.md): orders, bookings,
// rides and wallet, as the services commit them. Read with fetch rather than EventSource so that
// the app chooses when to reconnect: after a dropped stream it waits 1 s, 2 s, 4 s ... up to
// 30 s (with jitter, so many tabs do not return at once), resumes from the last id it saw with
// Last-Event-ID (nothing is lost in between), and stops for good on 401 (signed out). Ids are
// remembered so that a repeat after a resume is ignored.

import { SseParser, readSse } from './sse';
import { createStore } from './store';

export interface LiveEvent {
  object: 'event';
  id: number;
  kind: 'order' | 'table_booking' | 'hotel_booking' | 'ride' | 'wallet' | string;
  ref_id: number;
  status: string;
  created_at: number;
  payload: Record<string, unknown> | null;
}

export type LiveState = 'off' | 'connecting' | 'open' | 'retrying';

export interface LiveOptions {
  fetchImpl?: (input: string, init?: RequestInit) => Promise<Response>;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
}

const maxDelayMs = 30_000;

// The delay before reconnect attempt `attempt` (0-based): 1 s doubling to 30 s, minus up to a
// quarter at random.
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(maxDelayMs, 1000 * 2 ** Math.min(attempt, 15));
  return Math.round(base * (1 - 0.25 * random()));
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

export class LiveFeed {
  readonly state = createStore<LiveState>('off');
  private listeners = new Set<(e: LiveEvent) => void>();
  private controller: AbortController | null = null;
  private lastId = '';
  private seen = new Set<number>();
  private wake: (() => void) | null = null;

  constructor(private readonly options: LiveOptions = {}) {}

  subscribe(listener: (e: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.controller) return;
    const controller = new AbortController();
    this.controller = controller;
    void this.run(controller.signal);
  }

  stop(): void {
    this.controller?.abort();
    this.controller = null;
    this.lastId = '';
    this.seen.clear();
    this.state.set('off');
  }

  // Skips the rest of a back-off wait (the user pressed Retry, or the browser came online).
  retryNow(): void {
    this.wake?.();
  }

  private emit(data: string): void {
    let e: LiveEvent;
    try {
      e = JSON.parse(data) as LiveEvent;
    } catch {
      return;  // not an event object: nothing to tell the views
    }
    if (typeof e.id === 'number') {
      if (this.seen.has(e.id)) return;
      this.seen.add(e.id);
      if (this.seen.size > 2000) this.seen = new Set([...this.seen].slice(-1000));
    }
    for (const l of [...this.listeners]) l(e);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const fetchImpl = this.options.fetchImpl ?? ((i, init) => globalThis.fetch(i, init));
    const sleep = this.options.sleep ?? defaultSleep;
    let attempt = 0;
    while (!signal.aborted) {
      this.state.set(attempt === 0 ? 'connecting' : 'retrying');
      let stopForGood = false;
      let extraWait = 0;
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        if (this.lastId) headers['Last-Event-ID'] = this.lastId;
        const response = await fetchImpl('/api/v1/events', {
          headers, credentials: 'same-origin', signal, cache: 'no-store',
        });
        if (response.status === 401 || response.status === 400) {
          stopForGood = true;  // signed out (or a credential with no user): nothing to follow
        } else if (response.ok && response.body) {
          this.state.set('open');
          attempt = 0;
          const parser = new SseParser();
          await readSse(response.body, (e) => {
            if (e.id) this.lastId = e.id;
            this.emit(e.data);
          }, parser);
        } else if (response.status === 429) {
          extraWait = maxDelayMs;  // eight streams open already (other tabs): wait longer
          await response.body?.cancel().catch(() => undefined);
        } else {
          await response.body?.cancel().catch(() => undefined);
        }
      } catch {
        // A dropped connection or an unreachable server: retried below.
      }
      if (signal.aborted) break;
      if (stopForGood) {
        this.state.set('off');
        this.controller = null;
        return;
      }
      this.state.set('retrying');
      const wakeController = new AbortController();
      this.wake = () => wakeController.abort();
      const onAbort = () => wakeController.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      await sleep(Math.max(backoffMs(attempt, this.options.random), extraWait), wakeController.signal);
      signal.removeEventListener('abort', onAbort);
      this.wake = null;
      attempt++;
    }
  }
}

export const live = new LiveFeed();
