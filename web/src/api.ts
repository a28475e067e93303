// The typed client of qwenlayer's app API (docs/API.md, docs/api/*.md). Every call resolves to a
// Result, never throws: a failed request is an ApiError value whose `kind` says what went wrong
// (the server unreachable, signed out, refused, ...) and whose `message` is the server's own
// words when it sent some. The session cookie from POST /api/v1/auth/login authenticates every
// call (same origin, so the server's cross-site check passes). The assistant's answer is read as
// server-sent events over fetch (a POST cannot use EventSource) with the incremental parser of
// sse.ts; live order and booking changes come from live.ts.

import { readSse } from './sse';
import { createStore } from './store';
import type {
  Action, HotelBooking, List, MenuItem, Order, Product, Ride, RoadMap, Session, SessionDetail,
  Store, TableBooking, TurnEvent, User, Wallet, WalletEntry,
} from './types';

export type ErrorKind =
  | 'offline'          // no answer: the server is down or the network is gone
  | 'aborted'          // the app stopped the request (the user pressed Stop)
  | 'unauthenticated'  // 401: not signed in, or the session expired
  | 'forbidden'        // 403
  | 'not_found'        // 404
  | 'conflict'         // 409: the state refuses it (closed, sold out, already decided, ...)
  | 'invalid'          // 400
  | 'too_large'        // 413
  | 'rate_limited'     // 429
  | 'unavailable'      // 503
  | 'server'           // 500 and anything else unexpected
  | 'bad_response';    // an answer that is not what the route promises (not JSON, cut off)

export interface ApiError {
  kind: ErrorKind;
  status: number;          // the HTTP status, 0 when there was no answer
  code: string | null;     // the error JSON's `code` (invalid_argument, failed_precondition, ...)
  param: string | null;    // the parameter at fault, for a 400
  message: string;         // the server's message, else a plain English one
}

export type Result<T> = { ok: true; value: T; status: number } | { ok: false; error: ApiError };

const kindByStatus: Record<number, ErrorKind> = {
  400: 'invalid', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict',
  413: 'too_large', 429: 'rate_limited', 503: 'unavailable',
};

const genericMessage: Record<ErrorKind, string> = {
  offline: 'the server cannot be reached',
  aborted: 'stopped',
  unauthenticated: 'not signed in',
  forbidden: 'not allowed for this account',
  not_found: 'not found',
  conflict: 'refused in the current state',
  invalid: 'the request was not accepted',
  too_large: 'the request is too large',
  rate_limited: 'too many requests; try again in a moment',
  unavailable: 'the server is busy or starting; try again in a moment',
  server: 'the server failed to answer',
  bad_response: 'the server sent an answer the app cannot read',
};

// The ApiError for an HTTP answer that is not a success, from its status and body text (the app
// API's {"error": {"message", "type", "param", "code"}}, or anything else a proxy may send).
export function errorFromResponse(status: number, bodyText: string): ApiError {
  const kind: ErrorKind = kindByStatus[status] ?? (status >= 500 || status < 200 ? 'server' : 'bad_response');
  let message = '';
  let code: string | null = null;
  let param: string | null = null;
  try {
    const body = JSON.parse(bodyText) as { error?: { message?: unknown; code?: unknown; param?: unknown } };
    const e = body?.error;
    if (e && typeof e === 'object') {
      if (typeof e.message === 'string') message = e.message;
      if (typeof e.code === 'string') code = e.code;
      if (typeof e.param === 'string') param = e.param;
    }
  } catch {
    // Not JSON: a proxy's page or an empty body. The status alone speaks.
  }
  // A 500's message is generic by design; a gateway's 502/504 means the server is not there.
  if (status === 502 || status === 504) return { kind: 'offline', status, code, param, message: genericMessage.offline };
  return { kind, status, code, param, message: message || genericMessage[kind] };
}

// The ApiError for a fetch that threw: aborted by the app, or no answer at all.
export function errorFromException(e: unknown): ApiError {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'AbortError') return { kind: 'aborted', status: 0, code: null, param: null, message: genericMessage.aborted };
  return { kind: 'offline', status: 0, code: null, param: null, message: genericMessage.offline };
}

export function isError(r: Result<unknown>): r is { ok: false; error: ApiError } {
  return !r.ok;
}

// A key for a write that must run once however often it is retried (Stripe's semantics).
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      // randomUUID needs a secure context; fall through to getRandomValues.
    }
  }
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

// Whether the server answered the last request: false after a request got no answer, true again
// after any answer. The banner of app.tsx shows it.
export const reachable = createStore(true);

export class Api {
  // Called when an answer says the session is gone (401), so the app can ask to sign in again.
  onUnauthenticated: (() => void) | null = null;

  constructor(private readonly fetchImpl: FetchLike = (input, init) => globalThis.fetch(input, init)) {}

  url(path: string, query?: RequestOptions['query']): string {
    if (!query) return path;
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    }
    const s = params.toString();
    return s ? `${path}?${s}` : path;
  }

  private init(method: string, opts: RequestOptions, accept = 'application/json'): RequestInit {
    const headers: Record<string, string> = { Accept: accept };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    if (opts.idempotencyKey) headers['Idempotency-Key'] = opts.idempotencyKey;
    return {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
      cache: 'no-store',
    };
  }

  private noteError(error: ApiError, path: string): void {
    if (error.kind === 'offline') reachable.set(false);
    if (error.kind === 'unauthenticated' && !path.startsWith('/api/v1/auth/')) this.onUnauthenticated?.();
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Result<T>> {
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, opts.query), this.init(method, opts));
    } catch (e) {
      const error = errorFromException(e);
      this.noteError(error, path);
      return { ok: false, error };
    }
    let text: string;
    try {
      text = await response.text();
    } catch (e) {
      const error = errorFromException(e);
      this.noteError(error, path);
      return { ok: false, error };
    }
    if (response.status !== 502 && response.status !== 504) reachable.set(true);
    if (!response.ok) {
      const error = errorFromResponse(response.status, text);
      this.noteError(error, path);
      return { ok: false, error };
    }
    try {
      return { ok: true, value: (text ? JSON.parse(text) : null) as T, status: response.status };
    } catch {
      return { ok: false, error: { kind: 'bad_response', status: response.status, code: null, param: null, message: genericMessage.bad_response } };
    }
  }

  get<T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown, idempotencyKey?: string) {
    return this.request<T>('POST', path, { body: body ?? {}, idempotencyKey });
  }
  patch<T>(path: string, body: unknown) {
    return this.request<T>('PATCH', path, { body });
  }
  put<T>(path: string, body: unknown) {
    return this.request<T>('PUT', path, { body });
  }
  del<T>(path: string) {
    return this.request<T>('DELETE', path);
  }

  // ---- identity ------------------------------------------------------------------------------
  login(email: string, password: string) {
    return this.post<{ object: 'session'; user: User; expires_at: number }>('/api/v1/auth/login', { email, password });
  }
  logout() {
    return this.post<{ signed_out: boolean }>('/api/v1/auth/logout');
  }
  me(signal?: AbortSignal) {
    return this.get<User & { auth: string }>('/api/v1/me', undefined, signal);
  }

  // ---- the assistant -------------------------------------------------------------------------
  createSession(title?: string) {
    return this.post<Session>('/api/v1/sessions', title ? { title } : {});
  }
  listSessions(limit = 20) {
    return this.get<List<Session> & { next_before?: number }>('/api/v1/sessions', { limit });
  }
  getSession(id: string, signal?: AbortSignal) {
    return this.get<SessionDetail>(`/api/v1/sessions/${encodeURIComponent(id)}`, undefined, signal);
  }
  deleteSession(id: string) {
    return this.del<{ deleted: boolean }>(`/api/v1/sessions/${encodeURIComponent(id)}`);
  }
  confirmAction(id: string, hash: string, idempotencyKey: string) {
    return this.post<Action>(`/api/v1/actions/${encodeURIComponent(id)}/confirm`, { hash }, idempotencyKey);
  }
  cancelAction(id: string) {
    return this.post<Action>(`/api/v1/actions/${encodeURIComponent(id)}/cancel`);
  }
  getAction(id: string) {
    return this.get<Action>(`/api/v1/actions/${encodeURIComponent(id)}`);
  }

  // Sends a message and hands each event of the answer to `onEvent` as it arrives. Resolves when
  // the turn is over: ok with the `done` event's data, or an error (the request refused, the
  // connection lost, `signal` aborted, or the stream ended without `done`).
  async sendMessage(
    sessionId: string,
    text: string,
    onEvent: (e: TurnEvent) => void,
    signal?: AbortSignal,
  ): Promise<Result<{ steps: number; finish: string; action_id?: string }>> {
    const path = `/api/v1/sessions/${encodeURIComponent(sessionId)}/messages`;
    let response: Response;
    try {
      response = await this.fetchImpl(path, this.init('POST', { body: { text }, signal }, 'text/event-stream'));
    } catch (e) {
      const error = errorFromException(e);
      this.noteError(error, path);
      return { ok: false, error };
    }
    reachable.set(true);
    if (!response.ok || !response.body) {
      const error = errorFromResponse(response.status, await response.text().catch(() => ''));
      this.noteError(error, path);
      return { ok: false, error };
    }
    let done: { steps: number; finish: string; action_id?: string } | null = null;
    let badEvent = false;
    try {
      await readSse(response.body, (e) => {
        let data: unknown;
        try {
          data = JSON.parse(e.data);
        } catch {
          badEvent = true;
          return;
        }
        const event = { type: e.event, data } as TurnEvent;
        if (event.type === 'done') done = event.data;
        onEvent(event);
      });
    } catch (e) {
      const error = errorFromException(e);
      if (error.kind === 'offline') error.message = 'the connection was lost while the answer streamed';
      this.noteError(error, path);
      return { ok: false, error };
    }
    if (!done) {
      return {
        ok: false,
        error: { kind: 'bad_response', status: response.status, code: null, param: null,
          message: badEvent ? 'the answer had an event the app cannot read' : 'the answer ended before it was complete' },
      };
    }
    return { ok: true, value: done, status: response.status };
  }

  // The roads of a box [south, west, north, east] (degrees), for the map under a route.
  roadMap(bbox: readonly [number, number, number, number], limit?: number) {
    return this.get<RoadMap>('/api/v1/maps/roads', { bbox: bbox.map((v) => v.toFixed(6)).join(','), limit });
  }

  // ---- orders, wallet, bookings --------------------------------------------------------------
  listOrders(query: { limit?: number; before?: number; status?: string } = {}) {
    return this.get<List<Order>>('/api/v1/orders', query);
  }
  getOrder(id: number, signal?: AbortSignal) {
    return this.get<Order>(`/api/v1/orders/${id}`, undefined, signal);
  }
  cancelOrder(id: number, reason?: string) {
    return this.post<Order>(`/api/v1/orders/${id}/cancel`, reason ? { reason } : {});
  }
  wallet() {
    return this.get<Wallet>('/api/v1/wallet');
  }
  walletHistory(query: { limit?: number; before?: number } = {}) {
    return this.get<List<WalletEntry>>('/api/v1/wallet/history', query);
  }
  topUp(amount: number, idempotencyKey: string) {
    return this.post<{ object: 'top_up'; id: number; amount: number; balance: number }>('/api/v1/wallet/top-up', { amount }, idempotencyKey);
  }
  setDailyLimit(limit: number | null) {
    return this.put<Wallet>('/api/v1/wallet/limit', { daily_spend_limit: limit });
  }
  tableBookings(limit = 50) {
    return this.get<List<TableBooking>>('/api/v1/bookings/tables', { limit });
  }
  hotelBookings(limit = 50) {
    return this.get<List<HotelBooking>>('/api/v1/bookings/hotels', { limit });
  }
  rides(limit = 50) {
    return this.get<List<Ride>>('/api/v1/rides', { limit });
  }
  cancelTable(id: number) {
    return this.post<TableBooking>(`/api/v1/bookings/tables/${id}/cancel`);
  }
  cancelHotel(id: number) {
    return this.post<HotelBooking>(`/api/v1/bookings/hotels/${id}/cancel`);
  }
  cancelRide(id: number) {
    return this.post<Ride>(`/api/v1/rides/${id}/cancel`);
  }

  // ---- merchants -----------------------------------------------------------------------------
  stores() {
    return this.get<List<Store>>('/api/v1/merchant/stores');
  }
  storeOrders(merchantId: number, query: { limit?: number; before?: number; status?: string } = {}) {
    return this.get<List<Order>>('/api/v1/merchant/orders', { merchant_id: merchantId, ...query });
  }
  advanceOrder(id: number, to: string, note?: string) {
    return this.post<Order>(`/api/v1/merchant/orders/${id}/advance`, note ? { to, note } : { to });
  }
  storeMenu(merchantId: number) {
    return this.get<List<MenuItem>>(`/api/v1/merchant/stores/${merchantId}/menu`);
  }
  createMenuItem(merchantId: number, body: Record<string, unknown>) {
    return this.post<MenuItem>(`/api/v1/merchant/stores/${merchantId}/menu-items`, body);
  }
  updateMenuItem(id: number, body: Record<string, unknown>) {
    return this.patch<MenuItem>(`/api/v1/merchant/menu-items/${id}`, body);
  }
  addOptionGroup(itemId: number, body: Record<string, unknown>) {
    return this.post<MenuItem>(`/api/v1/merchant/menu-items/${itemId}/option-groups`, body);
  }
  deleteOptionGroup(groupId: number) {
    return this.del<MenuItem>(`/api/v1/merchant/option-groups/${groupId}`);
  }
  addOption(groupId: number, body: Record<string, unknown>) {
    return this.post<MenuItem>(`/api/v1/merchant/option-groups/${groupId}/options`, body);
  }
  updateOption(optionId: number, body: Record<string, unknown>) {
    return this.patch<MenuItem>(`/api/v1/merchant/options/${optionId}`, body);
  }
  deleteOption(optionId: number) {
    return this.del<MenuItem>(`/api/v1/merchant/options/${optionId}`);
  }
  storeProducts(merchantId: number, query: { limit?: number; after?: number } = {}) {
    return this.get<List<Product>>(`/api/v1/merchant/stores/${merchantId}/products`, query);
  }
  updateProduct(id: number, body: Record<string, unknown>) {
    return this.patch<Product>(`/api/v1/merchant/products/${id}`, body);
  }
  updateVariant(id: number, body: Record<string, unknown>) {
    return this.patch<Product>(`/api/v1/merchant/variants/${id}`, body);
  }
}

export const api = new Api();
