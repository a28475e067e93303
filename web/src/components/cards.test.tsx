import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { money } from '../format';
import { decodePolyline } from '../geo';
import { setLang, tMaybe } from '../i18n';
import { live } from '../live';
import actionJson from '../test/action.json';
import confirmedJson from '../test/action_confirmed.json';
import cardsJson from '../test/cards.json';
import type { Action, Card } from '../types';
import { ActionCard } from './action_card';
import { CardView } from './cards';
import { forgetRoads } from './route_map';

const cards = cardsJson as unknown as Card[];
const sample = (type: string, pred: (d: Record<string, unknown>) => boolean = () => true) => {
  const c = cards.find((x) => x.type === type && pred(x.data));
  if (!c) throw new Error(`no ${type} card in the sample`);
  return c;
};

let root: HTMLElement;
let errors: unknown[][];
let roadRequests: string[];

// The roads the stubbed server returns: two primary and one residential segment along the
// sample route's first points, and a path.
const routeSample = cards.find((x) => x.type === 'route')!.data as { polyline: string };
const rp = decodePolyline(routeSample.polyline);
const roadMap = {
  object: 'road_map',
  bbox: [0, 0, 0, 0],
  classes: ['motorway', 'primary', 'secondary', 'residential', 'path'],
  segments: [
    [rp[0].lat, rp[0].lon, rp[1].lat, rp[1].lon, 1],
    [rp[1].lat, rp[1].lon, rp[2].lat, rp[2].lon, 1],
    [rp[2].lat, rp[2].lon, rp[3].lat, rp[3].lon, 3],
    [rp[0].lat, rp[0].lon, rp[2].lat, rp[2].lon, 4],
  ],
  truncated: false,
};

beforeEach(() => {
  setLang('en');
  root = document.createElement('div');
  document.body.appendChild(root);
  errors = [];
  vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args));
  // Route cards ask for the roads around them; tests that talk to the server stub fetch again.
  roadRequests = [];
  forgetRoads();
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.startsWith('/api/v1/maps/roads')) {
      roadRequests.push(url);
      return new Response(JSON.stringify(roadMap), { status: 200, headers: { 'Content-Type': 'application/json' } });
    }
    return new Response(JSON.stringify({ error: { message: 'not here', type: 'not_found_error', code: 'not_found' } }),
      { status: 404, headers: { 'Content-Type': 'application/json' } });
  });
});

afterEach(() => {
  act(() => render(null, root));
  root.remove();
  live.stop();
  vi.unstubAllGlobals();
  expect(errors).toEqual([]);
});

function show(card: Card, onAsk?: (text: string) => void) {
  act(() => render(<CardView card={card} ctx={{ onAsk }} />, root));
  return root;
}

const text = () => root.textContent ?? '';

async function until(pred: () => boolean, ms = 2000) {
  for (let waited = 0; !pred() && waited < ms; waited += 10) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
  }
}
const buttons = () => [...root.querySelectorAll('button')].map((b) => b.textContent);

describe('CardView renders every card type of the sample', () => {
  it('has a sample of every type the tools return', () => {
    const types = new Set(cards.map((c) => c.type));
    for (const t of ['product', 'merchant', 'menu', 'place', 'route', 'cart', 'order', 'wallet', 'coupon', 'booking', 'ride_quote', 'availability']) {
      expect(types.has(t), t).toBe(true);
    }
  });

  it.each(cards.map((c, i) => [`${i} ${c.type}`, c] as const))('%s renders as its own card', (_name, card) => {
    show(card);
    const article = root.querySelector('article.card');
    expect(article).not.toBeNull();
    expect(article?.classList.contains('card-unknown')).toBe(false);
    expect(root.querySelector('h3')?.textContent?.trim()).not.toBe('');
  });

  it('product: name, shop, price, variants', () => {
    const c = sample('product');
    show(c);
    const d = c.data as { name_en: string; price: number; merchant: { name_en: string }; variants: { price: number }[] };
    expect(text()).toContain(d.name_en);
    expect(text()).toContain(d.merchant.name_en);
    expect(text()).toContain(money(d.price));
  });

  it('merchant: name, open state, matched items, and a Menu button that asks the assistant', () => {
    const c = sample('merchant');
    const asked: string[] = [];
    show(c, (q) => asked.push(q));
    const d = c.data as { name_en: string; matched_items: { name_en: string; price: number }[] };
    expect(text()).toContain(d.name_en);
    for (const it of d.matched_items) {
      expect(text()).toContain(it.name_en);
      expect(text()).toContain(money(it.price));
    }
    const menu = [...root.querySelectorAll('button')].find((b) => b.textContent === 'Menu');
    act(() => menu?.click());
    expect(asked).toEqual([`Show me the menu of ${d.name_en}`]);
  });

  it('merchant: no ask buttons outside the chat', () => {
    show(sample('merchant'));
    expect(buttons()).toEqual([]);
  });

  it('menu: items by category, prices, sold-out marks, option groups', () => {
    const c = sample('menu');
    show(c, () => undefined);
    const d = c.data as { items: { name_en: string; price: number; sold_out: boolean; category_en: string }[] };
    for (const it of d.items) {
      expect(text()).toContain(it.name_en);
      expect(text()).toContain(it.category_en);
    }
    const soldOut = d.items.filter((i) => i.sold_out).length;
    expect((text().match(/Sold out/g) ?? []).length).toBe(soldOut);
    expect(root.querySelectorAll('details').length).toBe(new Set(d.items.map((i) => i.category_en)).size);
  });

  it('route: a map whose path has one point per polyline vertex, the summary and the steps', () => {
    const c = sample('route');
    show(c);
    const d = c.data as { polyline: string; steps: unknown[]; distance_m: number };
    const svg = root.querySelector('svg.route-map');
    expect(svg?.getAttribute('role')).toBe('img');
    expect(svg?.getAttribute('aria-label')).toMatch(/^Map of the route from .+ to .+/);
    const path = root.querySelector('[data-testid="route-path"]')?.getAttribute('d') ?? '';
    expect((path.match(/[ML]/g) ?? []).length).toBe(decodePolyline(d.polyline).length);
    for (const n of path.match(/-?\d+(\.\d+)?/g) ?? []) {
      expect(Number(n)).toBeGreaterThanOrEqual(0);
      expect(Number(n)).toBeLessThanOrEqual(320);
    }
    expect(root.querySelectorAll('.route-steps li').length).toBe(d.steps.length);
    expect(text()).toContain('km');
  });

  it('route: the city\'s roads around it drawn beneath, by class, once they arrive', async () => {
    const c = sample('route');
    show(c);
    expect(root.querySelector('.map-grid')).not.toBeNull();  // a grid until the roads come
    await until(() => root.querySelector('.map-road') !== null);
    expect(roadRequests.length).toBe(1);
    const bbox = new URL(roadRequests[0], 'http://x').searchParams.get('bbox')!.split(',').map(Number);
    expect(bbox).toHaveLength(4);
    const [south, west, north, east] = bbox;
    for (const p of rp) {
      expect(p.lat).toBeGreaterThan(south);
      expect(p.lat).toBeLessThan(north);
      expect(p.lon).toBeGreaterThan(west);
      expect(p.lon).toBeLessThan(east);
    }
    expect(north - south).toBeLessThanOrEqual(0.2);
    const primary = root.querySelector('.map-road-primary')?.getAttribute('d') ?? '';
    expect((primary.match(/M/g) ?? []).length).toBe(2);
    expect(root.querySelectorAll('.map-road-residential').length).toBe(1);
    expect(root.querySelectorAll('.map-road-path').length).toBe(1);
    expect(root.querySelector('.map-road-motorway')).toBeNull();
    expect(root.querySelector('.map-grid')).toBeNull();
    // Roads are drawn before (beneath) the route.
    const order = [...root.querySelectorAll('svg.route-map path')].map((p) => p.getAttribute('class'));
    expect(order.indexOf('map-route')).toBeGreaterThan(order.indexOf('map-road map-road-primary'));
    // The same route again: the box is asked for once.
    act(() => render(null, root));
    show(c);
    await until(() => root.querySelector('.map-road') !== null);
    expect(roadRequests.length).toBe(1);
  });

  it('order summary (checkout preview): lines, coupons, total', () => {
    const c = sample('order', (d) => d.object === 'checkout_preview');
    show(c);
    const d = c.data as { total: number; coupons: { code: string }[]; merchant_name_en: string };
    expect(text()).toContain('Order summary');
    expect(text()).toContain(d.merchant_name_en);
    expect(text()).toContain(money(d.total));
    for (const cp of d.coupons) expect(text()).toContain(cp.code);
  });

  it('placed order: number, status, progress and a link to its page', () => {
    const c = sample('order', (d) => d.object === 'order');
    show(c);
    const d = c.data as { id: number; status: string; total: number };
    expect(root.querySelector('h3 a')?.getAttribute('href')).toBe(`/orders/${d.id}`);
    expect(root.querySelector('.badge')?.textContent).toBe(tMaybe('status', d.status));
    expect(root.querySelector('.progress [aria-current="step"]')?.textContent).toBe(tMaybe('status', d.status));
    expect(text()).toContain(money(d.total));
  });

  it('placed order: the status follows the live event stream', async () => {
    const c = sample('order', (d) => d.object === 'order');
    const id = (c.data as { id: number }).id;
    const event = { object: 'event', id: 7, kind: 'order', ref_id: id, status: 'preparing', created_at: 1, payload: { order_id: id, status: 'preparing', eta_at: null } };
    vi.stubGlobal('fetch', vi.fn(async () => new Response(`id: 7\nevent: order\ndata: ${JSON.stringify(event)}\n\n`, { status: 200 })));
    show(c);
    expect(root.querySelector('.badge')?.textContent).not.toBe('Preparing');
    act(() => live.start());
    await until(() => root.querySelector('.badge')?.textContent === 'Preparing');
    expect(root.querySelector('.badge')?.textContent).toBe('Preparing');
    expect(root.querySelector('.progress [aria-current="step"]')?.textContent).toBe('Preparing');
  });

  it('bookings: table, hotel and ride each with their own title', () => {
    const titles = cards.filter((c) => c.type === 'booking').map((c) => {
      show(c);
      return root.querySelector('h3')?.textContent ?? '';
    });
    expect(titles.some((t) => t.startsWith('Table booking #'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Hotel booking #'))).toBe(true);
    expect(titles.some((t) => t.startsWith('Ride #'))).toBe(true);
  });

  it('ride quote: every vehicle with its price and a Request button', () => {
    const c = sample('ride_quote');
    const asked: string[] = [];
    show(c, (q) => asked.push(q));
    const d = c.data as { options: { vehicle: string; price: number }[] };
    for (const o of d.options) expect(text()).toContain(money(o.price));
    expect(buttons().filter((b) => b === 'Request')).toHaveLength(d.options.length);
    act(() => root.querySelector('button')?.click());
    expect(asked[0]).toMatch(/^Request the .+ ride$/);
  });

  it('table availability: the free times as buttons that ask to book', () => {
    const c = sample('availability', (d) => d.kind === 'table');
    const asked: string[] = [];
    show(c, (q) => asked.push(q));
    const b = root.querySelector('.chips button') as HTMLButtonElement;
    expect(b.textContent).toMatch(/^Book \d\d:\d\d$/);
    act(() => b.click());
    expect(asked[0]).toMatch(/^Book a table for \d+ at .+ on \d{4}-\d\d-\d\d at \d\d:\d\d$/);
  });

  it('hotel availability: rooms with totals, Book only where rooms are free', () => {
    const c = sample('availability', (d) => d.kind === 'hotel');
    show(c, () => undefined);
    const d = c.data as { room_types: { name_en: string; total: number; free_rooms: number }[] };
    for (const r of d.room_types) {
      expect(text()).toContain(r.name_en);
      expect(text()).toContain(money(r.total));
    }
    expect(buttons().filter((b) => b === 'Book this')).toHaveLength(d.room_types.filter((r) => r.free_rooms > 0).length);
  });

  it('wallet and coupon', () => {
    const w = sample('wallet');
    show(w);
    expect(text()).toContain(money((w.data as { balance: number }).balance));
    const cp = sample('coupon');
    show(cp);
    expect(text()).toContain((cp.data as { code: string }).code);
  });

  it('shows names in Chinese when the language is Chinese', () => {
    setLang('zh');
    const c = sample('merchant');
    show(c);
    expect(text()).toContain((c.data as { name_zh: string }).name_zh);
    expect(text()).toContain('营业中');
  });

  it('an unknown card type still shows its data', () => {
    show({ type: 'parcel', data: { title: 'A parcel', weight_g: 500 } });
    expect(root.querySelector('article.card-unknown h3')?.textContent).toBe('A parcel');
    expect(root.querySelector('pre')?.textContent).toContain('"weight_g": 500');
  });
});

describe('ActionCard', () => {
  const action = actionJson as unknown as Action;
  const now = () => action.created_at + 10;

  it('shows the summary and total with Confirm, Change and Cancel', () => {
    act(() => render(<ActionCard action={action} now={now} />, root));
    expect(text()).toContain(action.summary);
    expect(text()).toContain(money(4100));
    expect(buttons()).toEqual(['Confirm', 'Change', 'Cancel']);
    expect(root.querySelector('.badge')?.textContent).toBe('Waiting for you');
  });

  it('Change hands the action to the conversation', () => {
    const change = vi.fn();
    act(() => render(<ActionCard action={action} now={now} onChange={change} />, root));
    act(() => (root.querySelectorAll('button')[1] as HTMLButtonElement).click());
    expect(change).toHaveBeenCalledWith(action);
  });

  it('Confirm sends the hash with one Idempotency-Key across retries, then shows the result', async () => {
    const keys: string[] = [];
    let calls = 0;
    vi.stubGlobal('fetch', vi.fn(async (url: string, init: RequestInit) => {
      expect(url).toBe(`/api/v1/actions/${action.id}/confirm`);
      expect(JSON.parse(init.body as string)).toEqual({ hash: action.hash });
      keys.push((init.headers as Record<string, string>)['Idempotency-Key']);
      calls++;
      if (calls === 1) throw new TypeError('Failed to fetch');
      const order = { type: 'order', data: { object: 'order', id: 43, status: 'placed', total: 4100, items: [], merchant_name_en: 'Luna Café' } };
      return new Response(JSON.stringify({ ...action, status: 'confirmed', result: { result: { order_id: 43 }, cards: [order] } }), { status: 200 });
    }));
    const decided = vi.fn();
    act(() => render(<ActionCard action={action} now={now} onDecided={decided} />, root));
    act(() => (root.querySelector('button') as HTMLButtonElement).click());
    await until(() => !!root.querySelector('[role="alert"]'));
    expect(root.querySelector('[role="alert"]')?.textContent).toContain('Cannot reach the server.');
    act(() => (root.querySelector('button') as HTMLButtonElement).click());
    await until(() => root.querySelector('.badge')?.textContent === 'Confirmed');
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(decided).toHaveBeenCalledTimes(1);
    expect(root.querySelector('.badge')?.textContent).toBe('Confirmed');
    expect(buttons()).not.toContain('Confirm');
    expect(text()).toContain('Order #43');
  });

  it('a confirmed action (as the server answers it) shows its result: the placed order', () => {
    const confirmed = confirmedJson as unknown as Action;
    act(() => render(<ActionCard action={confirmed} now={now} />, root));
    expect(root.querySelector('.badge')?.textContent).toBe('Confirmed');
    expect(buttons()).toEqual([]);
    const orderId = (confirmed.result?.cards ?? []).find((c) => c.type === 'order')?.data.id;
    expect(orderId).toBeDefined();
    expect(root.querySelector(`a[href="/orders/${orderId}"]`)).not.toBeNull();
  });

  it('an expired action offers no Confirm', () => {
    act(() => render(<ActionCard action={action} now={() => action.expires_at + 1} />, root));
    expect(buttons()).toEqual([]);
    expect(text()).toContain('Expired');
  });
});
