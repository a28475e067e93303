import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { reachable } from './api';
import { App, currentUser } from './app';
import { setLang } from './i18n';
import { live } from './live';
import { path } from './router';
import { resetChat } from './views/chat';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

const alice = { object: 'user', id: 1, email: 'alice@example.com', name: 'Alice Chen', role: 'customer', locale: 'en' };
const luna = { object: 'user', id: 3, email: 'luna@example.com', name: 'Lin Yue', role: 'merchant', locale: 'en' };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const list = (data: unknown[]) => json(200, { object: 'list', data, has_more: false });

let root: HTMLElement;
let calls: string[];
let routes: Record<string, Handler>;
let errors: unknown[][];

function mockServer() {
  vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit = {}) => {
    const key = `${init.method ?? 'GET'} ${url.split('?')[0]}`;
    calls.push(key);
    const h = routes[key];
    if (!h) return json(404, { error: { message: `no mock for ${key}`, type: 'not_found_error', param: null, code: 'not_found' } });
    return h(url, init);
  }));
}

async function settle(ms = 10) {
  await act(async () => {
    await new Promise((r) => setTimeout(r, ms));
  });
}

// Lets the app run until `pred` holds (requests, effects and re-renders take a few turns).
async function until(pred: () => boolean, ms = 2000) {
  for (let waited = 0; !pred() && waited < ms; waited += 10) await settle(10);
}

const text = () => root.textContent ?? '';
const button = (label: string) => [...root.querySelectorAll('button')].find((b) => b.textContent?.includes(label)) as HTMLButtonElement | undefined;

beforeEach(() => {
  localStorage.clear();
  setLang('en');
  history.replaceState(null, '', '/');
  path.set('/');
  currentUser.set(undefined);
  resetChat();
  reachable.set(true);
  calls = [];
  routes = {
    'GET /api/v1/events': () => json(401, { error: { message: 'no', type: 'authentication_error', param: null, code: 'unauthenticated' } }),
    'GET /api/v1/sessions': () => list([]),
  };
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args));
  root = document.createElement('div');
  document.body.appendChild(root);
  mockServer();
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  live.stop();
  vi.unstubAllGlobals();
  expect(errors).toEqual([]);
});

describe('App', () => {
  it('opens on sign-in without asking the server (no 401 in the console), then signs in a demo user', async () => {
    routes['POST /api/v1/auth/login'] = (_u, init) => {
      expect(JSON.parse(init.body as string)).toEqual({ email: 'alice@example.com', password: 'demo' });
      return json(200, { object: 'session', user: alice, expires_at: 2e9 });
    };
    act(() => render(<App />, root));
    await until(() => path.get() === '/signin');
    expect(calls).not.toContain('GET /api/v1/me');
    expect(path.get()).toBe('/signin');
    expect(root.querySelector('h1')?.textContent).toBe('Sign in');
    expect(root.querySelector('input[type="email"]')?.closest('label')?.textContent).toContain('Email');
    act(() => button('Use Alice Chen')?.click());
    await until(() => root.querySelectorAll('.suggestions button').length === 6);
    expect(path.get()).toBe('/chat');
    expect(localStorage.getItem('qwl.signed_in')).toBe('1');
    expect(root.querySelector('h1')?.textContent).toBe('Assistant');
    expect(root.querySelector('nav')?.textContent).toContain('Orders');
    expect(root.querySelectorAll('.suggestions button').length).toBe(6);
  });

  it('shows a wrong password as such', async () => {
    routes['POST /api/v1/auth/login'] = () => json(401, { error: { message: 'email or password is wrong', type: 'authentication_error', param: null, code: 'unauthenticated' } });
    act(() => render(<App />, root));
    await until(() => !!root.querySelector('input[type="email"]'));
    const email = root.querySelector('input[type="email"]') as HTMLInputElement;
    const password = root.querySelector('input[type="password"]') as HTMLInputElement;
    act(() => {
      email.value = 'alice@example.com';
      email.dispatchEvent(new Event('input', { bubbles: true }));
      password.value = 'nope';
      password.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => {
      (root.querySelector('form') as HTMLFormElement).dispatchEvent(new Event('submit', { cancelable: true, bubbles: true }));
    });
    await until(() => !!root.querySelector('[role="alert"]'));
    expect(root.querySelector('[role="alert"]')?.textContent).toBe('Email or password is wrong.');
  });

  it('sends merchants to their orders board', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    routes['GET /api/v1/me'] = () => json(200, { ...luna, auth: 'session' });
    routes['GET /api/v1/merchant/stores'] = () => list([{ object: 'merchant', id: 1, name_en: 'Luna Café', name_zh: '露娜咖啡', kind: 'cafe', accepting: true }]);
    routes['GET /api/v1/merchant/orders'] = () => list([{
      object: 'order', id: 42, merchant_id: 1, merchant_name_en: 'Luna Café', merchant_name_zh: '露娜咖啡', fulfilment: 'delivery',
      status: 'placed', subtotal: 4600, discount: 500, delivery_fee: 0, total: 4100, refunded: 0, currency: 'CNY',
      delivery_line: '10F, Lakeside Tower', eta_at: null, placed_at: 1, updated_at: 1,
      items: [{ id: 1, menu_item_id: 1, variant_id: null, name_en: 'Oat Latte', name_zh: '燕麦拿铁', quantity: 2, unit_price: 2300, line_total: 4600 }],
    }]);
    routes['POST /api/v1/merchant/orders/42/advance'] = (_u, init) => {
      expect(JSON.parse(init.body as string)).toEqual({ to: 'accepted' });
      return json(200, { status: 'accepted', id: 42 });
    };
    act(() => render(<App />, root));
    await until(() => text().includes('2 × Oat Latte'));
    expect(path.get()).toBe('/merchant');
    expect(root.querySelector('h1')?.textContent).toBe('Store orders');
    expect(text()).toContain('2 × Oat Latte');
    act(() => {
      button('Accept')?.click();
    });
    await until(() => !!root.querySelector('#col-accepted')?.textContent?.includes('1'));
    expect(calls).toContain('POST /api/v1/merchant/orders/42/advance');
    expect(root.querySelector('#col-accepted')?.textContent).toContain('1');
  });

  it('streams an answer with its cards and pending action, keeping the page usable', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    routes['GET /api/v1/me'] = () => json(200, { ...alice, auth: 'session' });
    routes['POST /api/v1/sessions'] = () => json(201, { object: 'session', id: 'ses_1', title: '', created_at: 1, updated_at: 1, messages: 0 });
    let push: (s: string) => void = () => undefined;
    let close: () => void = () => undefined;
    routes['POST /api/v1/sessions/ses_1/messages'] = (_u, init) => {
      expect(JSON.parse(init.body as string)).toEqual({ text: 'Order two oat lattes to my office' });
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          push = (s) => c.enqueue(new TextEncoder().encode(s));
          close = () => c.close();
        },
      });
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    };
    act(() => render(<App />, root));
    await until(() => !!button('Order two oat lattes'));
    act(() => button('Order two oat lattes')?.click());
    await until(() => calls.includes('POST /api/v1/sessions/ses_1/messages'));
    expect(path.get()).toBe('/chat?s=ses_1');
    push('event: tool_call\ndata: {"id":"c1","name":"search_merchants","arguments":"{}"}\n\n');
    push('event: card\ndata: {"type":"merchant","data":{"id":1,"name_en":"Luna Café","name_zh":"露娜咖啡","open_now":true}}\n\n');
    push('event: text\ndata: {"delta":"Luna Café has "}\n\n');
    await until(() => text().includes('Luna Café has'));
    expect(text()).toContain('Searching shops');
    expect(text()).toContain('Luna Café has');
    expect(root.querySelector('[role="log"]')?.getAttribute('aria-busy')).toBe('true');
    expect(button('Stop')).toBeTruthy();
    expect(button('Send')).toBeUndefined();
    const input = root.querySelector('textarea') as HTMLTextAreaElement;
    expect(input.disabled).toBe(false);  // the next message can be typed meanwhile
    push('event: text\ndata: {"delta":"it for ¥23."}\n\n');
    push('event: action\ndata: {"object":"action","id":"act_1","tool":"checkout","status":"pending","summary":"2 x Oat Latte -> office; ¥41","content":{"total":4100},"info":{},"hash":"h","session_id":"ses_1","created_at":1,"expires_at":4e9,"decided_at":null,"result":null,"error":null,"replaced_by":null}\n\n');
    push('event: done\ndata: {"steps":2,"finish":"action","action_id":"act_1"}\n\n');
    close();
    await until(() => root.querySelector('[role="log"]')?.getAttribute('aria-busy') === 'false');
    expect(text()).toContain('Luna Café has it for ¥23.');
    expect(root.querySelector('[role="log"]')?.getAttribute('aria-busy')).toBe('false');
    expect(text()).toContain('2 x Oat Latte -> office; ¥41');
    expect(button('Confirm')).toBeTruthy();
    act(() => button('Change')?.click());
    expect(document.activeElement).toBe(input);
    expect(input.placeholder).toContain('Say what to change');
  });

  it('a reload of /chat?s=... redraws that conversation (regression: it came back empty)', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    history.replaceState(null, '', '/chat?s=ses_9');
    path.set('/chat?s=ses_9');
    routes['GET /api/v1/me'] = () => json(200, { ...alice, auth: 'session' });
    routes['GET /api/v1/sessions/ses_9'] = () => json(200, {
      object: 'session', id: 'ses_9', title: 'wallet', created_at: 1, updated_at: 1, messages: 2, actions: [],
      history: [
        { object: 'message', seq: 1, created_at: 1, events: [], message: { role: 'user', content: 'How much is in my wallet?' } },
        { object: 'message', seq: 2, created_at: 1, events: [{ event: 'card', data: { type: 'wallet', data: { balance: 50000 } } }], message: { role: 'assistant', content: 'You have ¥500.00.' } },
      ],
    });
    act(() => render(<App />, root));
    await until(() => text().includes('You have ¥500.00.'));
    expect(text()).toContain('How much is in my wallet?');
    expect(root.querySelector('article.card-wallet')).not.toBeNull();
    expect(path.get()).toBe('/chat?s=ses_9');
  });

  it('Stop (and Esc) abort the streaming request and say so; the draft typed meanwhile stays', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    routes['GET /api/v1/me'] = () => json(200, { ...alice, auth: 'session' });
    routes['POST /api/v1/sessions'] = () => json(201, { object: 'session', id: 'ses_2', title: '', created_at: 1, updated_at: 1, messages: 0 });
    let aborted = 0;
    routes['POST /api/v1/sessions/ses_2/messages'] = (_u, init) => {
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('event: text\ndata: {"delta":"Thinking about"}\n\n'));
          init.signal?.addEventListener('abort', () => {
            aborted++;
            c.error(new DOMException('The user aborted a request.', 'AbortError'));
          });
        },
      });
      return new Response(body, { status: 200 });
    };
    act(() => render(<App />, root));
    await until(() => !!button('How much is in my wallet?'));
    act(() => button('How much is in my wallet?')?.click());
    await until(() => text().includes('Thinking about'));
    const input = root.querySelector('textarea') as HTMLTextAreaElement;
    act(() => {
      input.value = 'and my orders';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    act(() => {
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    });
    expect(input.value).toBe('and my orders');  // Enter while answering sends nothing, keeps the draft
    act(() => {
      input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    });
    await until(() => text().includes('Stopped.'));
    expect(aborted).toBe(1);
    expect(button('Send')).toBeTruthy();
    expect(input.value).toBe('and my orders');
    expect(root.querySelector('[role="log"]')?.getAttribute('aria-busy')).toBe('false');
  });

  it('says when the server cannot be reached, and recovers on retry', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    let down = true;
    routes['GET /api/v1/me'] = () => {
      if (down) throw new TypeError('Failed to fetch');
      return json(200, { ...alice, auth: 'session' });
    };
    act(() => render(<App />, root));
    await until(() => !!root.querySelector('.banner-offline'));
    const banner = root.querySelector('.banner-offline');
    expect(banner?.getAttribute('role')).toBe('alert');
    expect(banner?.textContent).toContain('The server cannot be reached');
    down = false;
    act(() => (banner?.querySelector('button') as HTMLButtonElement).click());
    await until(() => root.querySelector('h1')?.textContent === 'Assistant');
    expect(root.querySelector('.banner-offline')).toBeNull();
    expect(root.querySelector('h1')?.textContent).toBe('Assistant');
  });

  it('switches to Chinese', async () => {
    localStorage.setItem('qwl.signed_in', '1');
    routes['GET /api/v1/me'] = () => json(200, { ...alice, auth: 'session' });
    act(() => render(<App />, root));
    await until(() => !!root.querySelector('nav'));
    act(() => button('中文')?.click());
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(root.querySelector('nav')?.textContent).toContain('订单');
    expect(button('English')).toBeTruthy();
  });
});
