// The assistant's cards (docs/api/agent.md, `card` events; shapes from
// src/agent/ecosystem_tools_*.cpp): one component per type, chosen by CardView. Every card reads
// its fields defensively (a missing field shows as "–" or is left out), names follow the
// language, money is fen. Buttons on cards ("Menu", "Add", "Book 19:00") only put a sentence
// to the assistant through `onAsk`, so the model and its confirmation rules stay in charge;
// outside the chat (an order page) they are not shown.

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { clock, distance, duration, money, rating } from '../format';
import { pick, t, tMaybe } from '../i18n';
import { live } from '../live';
import type { Card, LatLon } from '../types';
import { Link, StatusBadge } from './common';
import { RouteMap, mapLabel, routePoints, useRoads } from './route_map';

type Rec = Record<string, unknown>;

export interface CardContext {
  onAsk?: (text: string) => void;
}

// ---- reading loosely typed JSON --------------------------------------------------------------

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const arr = (v: unknown): Rec[] => (Array.isArray(v) ? v.filter((x): x is Rec => !!x && typeof x === 'object') : []);
const obj = (v: unknown): Rec | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : null);

function latLon(v: unknown): LatLon | null {
  const o = obj(v);
  if (!o) return null;
  const lat = num(o.lat);
  const lon = num(o.lon);
  return lat === null || lon === null ? null : { lat, lon };
}

// What a waypoint of a route or ride is called: its saved label, its name, else "current location".
export function waypointName(v: unknown): string {
  const o = obj(v);
  if (!o) return '';
  return str(o.label) || pick(o) || t('card.here');
}

function AskButton(props: { ctx: CardContext; label: string; text: string; primary?: boolean }) {
  if (!props.ctx.onAsk) return null;
  return (
    <button type="button" class={props.primary ? 'btn btn-small btn-primary' : 'btn btn-small'} onClick={() => props.ctx.onAsk?.(props.text)}>
      {props.label}
    </button>
  );
}

function CardFrame(props: { kind: string; title: ComponentChildren; badge?: ComponentChildren; children?: ComponentChildren; label?: string }) {
  return (
    <article class={`card card-${props.kind}`} aria-label={props.label}>
      <header class="card-head">
        <h3 class="card-title">{props.title}</h3>
        {props.badge}
      </header>
      {props.children}
    </article>
  );
}

function Facts(props: { items: (string | null | false | undefined)[] }) {
  const items = props.items.filter((x): x is string => !!x);
  if (items.length === 0) return null;
  return <p class="facts">{items.join(' · ')}</p>;
}

function OpenBadge(props: { open: unknown; accepting?: unknown }) {
  if (props.accepting === false) return <span class="badge badge-muted">{t('card.not_accepting')}</span>;
  if (typeof props.open !== 'boolean') return null;
  return <span class={`badge ${props.open ? 'badge-ok' : 'badge-muted'}`}>{props.open ? t('card.open') : t('card.closed')}</span>;
}

function Money(props: { fen: unknown }) {
  return <span class="money">{money(num(props.fen))}</span>;
}

// ---- catalog ---------------------------------------------------------------------------------

export function ProductCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const merchant = obj(d.merchant);
  const variants = arr(d.variants);
  const name = pick(d);
  return (
    <CardFrame
      kind="product"
      title={name}
      badge={<span class={`badge ${d.in_stock === false ? 'badge-muted' : 'badge-ok'}`}>{d.in_stock === false ? t('card.out_of_stock') : t('card.in_stock')}</span>}
    >
      <Facts items={[
        num(d.price) !== null && money(num(d.price)),
        merchant && pick(merchant),
        num(d.rating) ? t('card.rating', { rating: rating(num(d.rating)) }) : null,
        num(d.sales) !== null && t('card.sales', { n: num(d.sales) as number }),
      ]} />
      {variants.length > 0 && (
        <ul class="rows">
          {variants.slice(0, 6).map((v) => (
            <li key={str(v.sku) || String(v.id)} class="row">
              <span>{pick(v) || str(v.sku)}</span>
              <span class="row-end">
                {v.in_stock === false && <span class="badge badge-muted">{t('card.out_of_stock')}</span>}
                <Money fen={v.price} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <div class="card-actions">
        <AskButton ctx={props.ctx} label={t('chat.ask_add')} text={t('chat.ask_add_text', { item: name, merchant: merchant ? pick(merchant) : '' })} />
      </div>
    </CardFrame>
  );
}

export function MerchantCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const name = pick(d);
  const items = arr(d.matched_items);
  const fee = num(d.delivery_fee);
  return (
    <CardFrame kind="merchant" title={name} badge={<OpenBadge open={d.open_now} accepting={d.accepting_orders} />}>
      <Facts items={[
        num(d.rating) ? t('card.rating', { rating: rating(num(d.rating)) }) : null,
        num(d.distance_m) !== null && t('card.away', { distance: distance(num(d.distance_m)) }),
        fee === 0 ? t('card.free_delivery') : fee !== null && t('card.delivery_fee', { fee: money(fee) }),
        num(d.min_order) ? t('card.min_order', { amount: money(num(d.min_order)) }) : null,
        num(d.prep_minutes) ? t('card.prep', { min: num(d.prep_minutes) as number }) : null,
      ]} />
      {pick(d, 'address') && <p class="muted">{pick(d, 'address')}</p>}
      {items.length > 0 && (
        <ul class="rows">
          {items.map((it) => (
            <li key={String(it.id)} class="row">
              <span>{pick(it)}</span>
              <span class="row-end">
                {it.sold_out === true ? <span class="badge badge-muted">{t('card.sold_out')}</span> : (
                  <AskButton ctx={props.ctx} label={t('chat.ask_add')} text={t('chat.ask_add_text', { item: pick(it), merchant: name })} />
                )}
                <Money fen={it.price} />
              </span>
            </li>
          ))}
        </ul>
      )}
      <div class="card-actions">
        <AskButton ctx={props.ctx} label={t('chat.ask_menu')} text={t('chat.ask_menu_text', { name })} primary />
      </div>
    </CardFrame>
  );
}

function optionSummary(groups: Rec[]): string {
  return groups.map((g) => {
    const opts = arr(g.options).map((o) => {
      const delta = num(o.price_delta) ?? 0;
      return delta ? `${pick(o)} ${delta > 0 ? '+' : ''}${money(delta)}` : pick(o);
    });
    return `${pick(g)}: ${opts.join(' / ')}`;
  }).join('; ');
}

export function MenuCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const merchantName = pick(d);
  const items = arr(d.items);
  const categories: { name: string; items: Rec[] }[] = [];
  for (const it of items) {
    const c = pick(it, 'category');
    let group = categories.find((g) => g.name === c);
    if (!group) {
      group = { name: c, items: [] };
      categories.push(group);
    }
    group.items.push(it);
  }
  return (
    <CardFrame kind="menu" title={`${t('card.menu')} · ${merchantName}`} badge={<OpenBadge open={d.open_now} />}>
      <Facts items={[
        num(d.delivery_fee) === 0 ? t('card.free_delivery') : num(d.delivery_fee) !== null && t('card.delivery_fee', { fee: money(num(d.delivery_fee)) }),
        num(d.min_order) ? t('card.min_order', { amount: money(num(d.min_order)) }) : null,
      ]} />
      {categories.map((c, i) => (
        <details key={c.name} open={i === 0} class="menu-category">
          <summary>{c.name || t('card.menu')} <span class="muted">({c.items.length})</span></summary>
          <ul class="rows">
            {c.items.map((it) => {
              const groups = arr(it.option_groups);
              return (
                <li key={String(it.id)} class="row row-block">
                  <div class="row-main">
                    <span class="row-title">{pick(it)}</span>
                    <span class="row-end">
                      {it.sold_out === true ? <span class="badge badge-muted">{t('card.sold_out')}</span> : (
                        <AskButton ctx={props.ctx} label={t('chat.ask_add')} text={t('chat.ask_add_text', { item: pick(it), merchant: merchantName })} />
                      )}
                      <Money fen={it.price} />
                    </span>
                  </div>
                  {pick(it, 'description') && <p class="muted small">{pick(it, 'description')}</p>}
                  {groups.length > 0 && <p class="muted small">{optionSummary(groups)}</p>}
                </li>
              );
            })}
          </ul>
        </details>
      ))}
    </CardFrame>
  );
}

export function PlaceCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const name = pick(d);
  return (
    <CardFrame kind="place" title={name} badge={<OpenBadge open={d.open_now} />}>
      <Facts items={[
        str(d.kind) && tMaybe('kind', str(d.kind)),
        str(d.cuisine),
        num(d.rating) ? t('card.rating', { rating: rating(num(d.rating)) }) : null,
        num(d.distance_m) !== null && t('card.away', { distance: distance(num(d.distance_m)) }),
        num(d.price_level) ? '¥'.repeat(num(d.price_level) as number) : null,
      ]} />
      <div class="card-actions">
        <AskButton ctx={props.ctx} label={t('chat.ask_route')} text={t('chat.ask_route_text', { name })} />
        {num(d.merchant_id) !== null && <AskButton ctx={props.ctx} label={t('chat.ask_menu')} text={t('chat.ask_menu_text', { name })} />}
      </div>
    </CardFrame>
  );
}

export function RouteCard(props: { data: Rec }) {
  const d = props.data;
  const from = waypointName(d.from);
  const to = waypointName(d.to);
  const steps = arr(d.steps);
  const summary = t('card.route_summary', {
    from, to, distance: distance(num(d.distance_m)), duration: duration(num(d.duration_s) ?? 0),
  });
  const turns = steps.map((s) => latLon(s.start)).filter((p): p is LatLon => !!p);
  const roads = useRoads(routePoints({
    polyline: str(d.polyline), points: turns, from: latLon(d.from) ?? undefined, to: latLon(d.to) ?? undefined,
  }));
  return (
    <CardFrame kind="route" title={`${t('card.route')} · ${tMaybe('mode', str(d.mode))}`}>
      <p>{summary}</p>
      {num(d.eta_at) !== null && <p class="muted">{t('card.eta', { time: clock(num(d.eta_at)) })}</p>}
      <RouteMap
        polyline={str(d.polyline)}
        points={turns}
        from={latLon(d.from) ?? undefined}
        to={latLon(d.to) ?? undefined}
        turns={turns}
        roads={roads}
        label={mapLabel(from, to)}
        fromLabel={from}
        toLabel={to}
      />
      {steps.length > 0 && (
        <details class="route-steps">
          <summary>{t('card.steps')} ({steps.length})</summary>
          <ol>
            {steps.map((s, i) => {
              const road = pick(s);
              const turn = tMaybe('turn', str(s.turn));
              return (
                <li key={i}>
                  {road ? t('turn.onto', { turn, road }) : turn} <span class="muted">{distance(num(s.distance_m))}</span>
                </li>
              );
            })}
          </ol>
        </details>
      )}
    </CardFrame>
  );
}

// ---- commerce --------------------------------------------------------------------------------

function Lines(props: { lines: Rec[] }) {
  return (
    <ul class="rows">
      {props.lines.map((l, i) => (
        <li key={String(l.id ?? i)} class="row row-block">
          <div class="row-main">
            <span class="row-title">{num(l.quantity) ?? 1} × {pick(l)}</span>
            <Money fen={l.line_total} />
          </div>
          {pick(l, 'options') && <p class="muted small">{pick(l, 'options')}</p>}
          {str(l.problem) && <p class="small text-bad">{str(l.problem)}</p>}
        </li>
      ))}
    </ul>
  );
}

function Totals(props: { rows: [string, unknown, boolean?][] }) {
  return (
    <dl class="totals">
      {props.rows.filter(([, v]) => num(v) !== null).map(([label, v, strong]) => (
        <div key={label} class={strong ? 'totals-row totals-strong' : 'totals-row'}>
          <dt>{label}</dt>
          <dd><Money fen={v} /></dd>
        </div>
      ))}
    </dl>
  );
}

export function CartCard(props: { data: Rec; ctx: CardContext }) {
  const merchants = arr(props.data.merchants);
  return (
    <CardFrame kind="cart" title={t('card.cart')}>
      {merchants.length === 0 && <p class="muted">{t('app.none')}</p>}
      {merchants.map((m) => {
        const name = pick(m, 'merchant_name');
        return (
          <section key={String(m.merchant_id)} class="card-section">
            <h4>{name}</h4>
            <Lines lines={arr(m.lines)} />
            <Totals rows={[[t('card.subtotal'), m.subtotal, true]]} />
            <div class="card-actions">
              <AskButton ctx={props.ctx} label={t('chat.ask_checkout')} text={t('chat.ask_checkout_text', { merchant: name })} primary />
            </div>
          </section>
        );
      })}
    </CardFrame>
  );
}

export const orderSteps = ['placed', 'accepted', 'preparing', 'on_the_way', 'delivered'] as const;

// An order's status as it is now: the card's, then every live change the user's event stream
// brings for that order.
export function useLiveOrder(id: number | null, status: string, etaAt: number | null) {
  const [state, setState] = useState({ status, etaAt, live: false });
  useEffect(() => setState({ status, etaAt, live: false }), [id, status, etaAt]);
  useEffect(() => {
    if (id === null) return undefined;
    return live.subscribe((e) => {
      if (e.kind !== 'order' || e.ref_id !== id) return;
      const payload = e.payload ?? {};
      const next = typeof payload.status === 'string' ? payload.status : e.status;
      const eta = typeof payload.eta_at === 'number' ? payload.eta_at : null;
      setState((s) => ({ status: next, etaAt: eta ?? s.etaAt, live: true }));
    });
  }, [id]);
  return state;
}

export function OrderProgress(props: { status: string; fulfilment?: string }) {
  const steps = props.fulfilment === 'pickup' ? orderSteps.filter((s) => s !== 'on_the_way') : [...orderSteps];
  const at = steps.indexOf(props.status as (typeof orderSteps)[number]);
  if (at < 0) return null;
  return (
    <ol class="progress" aria-label={tMaybe('status', props.status)}>
      {steps.map((s, i) => (
        <li key={s} class={i < at ? 'done' : i === at ? 'current' : ''} aria-current={i === at ? 'step' : undefined}>
          <span>{tMaybe('status', s)}</span>
        </li>
      ))}
    </ol>
  );
}

function PreviewCard(props: { data: Rec }) {
  const d = props.data;
  const applied = arr(d.coupons);
  const skipped = arr(d.skipped_coupons);
  const address = obj(d.address);
  return (
    <CardFrame kind="order" title={`${t('card.preview')} · ${pick(d, 'merchant_name')}`}>
      <Facts items={[
        d.fulfilment === 'pickup' ? t('card.pickup') : address && t('card.deliver_to', { place: waypointName(address) }),
        num(d.eta_at) !== null && t('card.eta', { time: clock(num(d.eta_at)) }),
        num(d.distance_m) !== null && distance(num(d.distance_m)),
      ]} />
      <Lines lines={arr(d.lines)} />
      <Totals rows={[
        [t('card.subtotal'), d.subtotal],
        ...applied.map((c): [string, unknown] => [t('card.coupon_applied', { code: str(c.code) }), -(num(c.amount) ?? 0)]),
        [t('card.delivery'), d.delivery_fee],
        [t('card.total'), d.total, true],
      ]} />
      {pick(d, 'explanation') && <p class="muted small">{pick(d, 'explanation')}</p>}
      {skipped.length > 0 && (
        <ul class="muted small plain">
          {skipped.map((c) => <li key={str(c.code)}>{t('card.coupon_skipped', { code: str(c.code), reason: pick(c, 'reason') || str(c.reason) })}</li>)}
        </ul>
      )}
      {num(d.wallet_balance) !== null && <p class="muted small">{t('card.wallet_balance', { amount: money(num(d.wallet_balance)) })}</p>}
    </CardFrame>
  );
}

export function OrderCard(props: { data: Rec; linkToDetail?: boolean }) {
  const d = props.data;
  if (d.object === 'checkout_preview' || (d.id === undefined && d.lines !== undefined)) return <PreviewCard data={d} />;
  return <PlacedOrderCard data={d} linkToDetail={props.linkToDetail} />;
}

function PlacedOrderCard(props: { data: Rec; linkToDetail?: boolean }) {
  const d = props.data;
  const id = num(d.id);
  const state = useLiveOrder(id, str(d.status), num(d.eta_at));
  const items = arr(d.items);
  const afterSale = obj(d.after_sale);
  const title = t('card.order', { id: id ?? '' });
  return (
    <CardFrame
      kind="order"
      title={props.linkToDetail !== false && id !== null ? <Link href={`/orders/${id}`}>{title}</Link> : title}
      badge={<span aria-live="polite"><StatusBadge status={state.status} live={state.live} /></span>}
    >
      <Facts items={[
        pick(d, 'merchant_name'),
        d.fulfilment === 'pickup' ? t('card.pickup') : str(d.delivery_line) && t('card.deliver_to', { place: str(d.delivery_line) }),
        state.etaAt !== null && !['delivered', 'cancelled', 'refunded'].includes(state.status) && t('card.eta', { time: clock(state.etaAt) }),
      ]} />
      <OrderProgress status={state.status} fulfilment={str(d.fulfilment)} />
      {items.length > 0 && (
        <ul class="rows">
          {items.map((it, i) => (
            <li key={String(it.id ?? i)} class="row row-block">
              <div class="row-main">
                <span class="row-title">{num(it.quantity) ?? 1} × {pick(it)}</span>
                <Money fen={it.line_total} />
              </div>
              {pick(it, 'options') && <p class="muted small">{pick(it, 'options')}</p>}
            </li>
          ))}
        </ul>
      )}
      <Totals rows={[
        [t('card.subtotal'), d.subtotal],
        [t('card.discount'), num(d.discount) ? -(num(d.discount) as number) : null],
        [t('card.delivery'), d.delivery_fee],
        [t('card.total'), d.total, true],
        [t('card.refunded'), num(d.refunded) ? d.refunded : null],
      ]} />
      {afterSale && <p class="small">{t('card.after_sale', { id: num(afterSale.id) ?? '', status: str(afterSale.status) })}</p>}
    </CardFrame>
  );
}

export function WalletCard(props: { data: Rec }) {
  const d = props.data;
  return (
    <CardFrame kind="wallet" title={t('card.wallet')}>
      <p class="big-number"><Money fen={d.balance} /></p>
      <Facts items={[
        t('card.spent_today', { amount: money(num(d.spent_today) ?? 0) }),
        num(d.daily_spend_limit) === null ? t('card.no_limit') : t('card.left_today', { amount: money(num(d.left_today)) }),
      ]} />
    </CardFrame>
  );
}

export function CouponCard(props: { data: Rec }) {
  const d = props.data;
  const dayOf = (v: unknown) => (num(v) !== null ? new Date((num(v) as number) * 1000 + 8 * 3600e3).toISOString().slice(0, 10) : '–');
  return (
    <CardFrame
      kind="coupon"
      title={<><code>{str(d.code)}</code> {pick(d, 'title')}</>}
      badge={d.claimed === true ? <span class="badge badge-ok">{t('card.claimed')}</span> : undefined}
    >
      <p>{pick(d, 'terms')}</p>
      <p class="muted small">{t('card.coupon_valid', { from: dayOf(d.starts_at), to: dayOf(d.ends_at) })}</p>
    </CardFrame>
  );
}

// ---- bookings and rides ----------------------------------------------------------------------

export function BookingCard(props: { data: Rec }) {
  const d = props.data;
  const kind = str(d.kind) || (d.object === 'hotel_booking' ? 'hotel' : d.object === 'ride' ? 'ride' : 'table');
  const id = num(d.id) ?? '';
  const status = <StatusBadge status={str(d.status)} />;
  if (kind === 'hotel') {
    return (
      <CardFrame kind="booking" title={t('card.booking_hotel', { id })} badge={status}>
        <p class="row-title">{pick(d, 'place_name')} · {pick(d, 'room_type_name')}</p>
        <Facts items={[
          `${str(d.check_in)} → ${str(d.check_out)}`,
          t('card.nights', { n: num(d.nights) ?? 0 }),
          t('card.guests', { n: num(d.guests) ?? 0 }),
          str(d.room_number) && t('card.room', { n: str(d.room_number) }),
        ]} />
        <Totals rows={[[t('card.total'), d.total, true], [t('card.refunded'), num(d.refunded) ? d.refunded : null]]} />
      </CardFrame>
    );
  }
  if (kind === 'ride') {
    return (
      <CardFrame kind="booking" title={t('card.booking_ride', { id })} badge={status}>
        <p class="row-title">{waypointName(d.from)} → {waypointName(d.to)}</p>
        <Facts items={[
          tMaybe('vehicle', str(d.vehicle)),
          distance(num(d.distance_m)),
          duration(num(d.duration_s) ?? 0),
        ]} />
        <Totals rows={[[t('card.total'), d.price, true], [t('card.refunded'), num(d.refunded) ? d.refunded : null]]} />
      </CardFrame>
    );
  }
  return (
    <CardFrame kind="booking" title={t('card.booking_table', { id })} badge={status}>
      <p class="row-title">{pick(d, 'place_name')}</p>
      <Facts items={[
        `${str(d.date)} ${str(d.time)}`,
        t('card.party', { n: num(d.party_size) ?? 0 }),
        str(d.table_label) && t('card.table', { label: str(d.table_label) }),
      ]} />
      {str(d.note) && <p class="muted small">{str(d.note)}</p>}
    </CardFrame>
  );
}

export function RideQuoteCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const options = arr(d.options);
  return (
    <CardFrame kind="ride_quote" title={t('card.ride_quote')}>
      <p class="row-title">{waypointName(d.from)} → {waypointName(d.to)}</p>
      <Facts items={[distance(num(d.distance_m)), duration(num(d.duration_s) ?? 0)]} />
      <ul class="rows">
        {options.map((o) => {
          const vehicle = tMaybe('vehicle', str(o.vehicle));
          return (
            <li key={str(o.vehicle)} class="row">
              <span>
                {vehicle} <span class="muted small">{t('card.pickup_in', { min: Math.max(1, Math.round((num(o.pickup_s) ?? 0) / 60)) })}</span>
              </span>
              <span class="row-end">
                <AskButton ctx={props.ctx} label={t('chat.ask_ride')} text={t('chat.ask_ride_text', { vehicle })} />
                <Money fen={o.price} />
              </span>
            </li>
          );
        })}
      </ul>
    </CardFrame>
  );
}

export function AvailabilityCard(props: { data: Rec; ctx: CardContext }) {
  const d = props.data;
  const name = pick(d);
  if (str(d.kind) === 'hotel' || d.room_types !== undefined) {
    const rooms = arr(d.room_types);
    return (
      <CardFrame kind="availability" title={`${t('card.availability_hotel')} · ${name}`}>
        <Facts items={[
          `${str(d.check_in)} → ${str(d.check_out)}`,
          t('card.nights', { n: num(d.nights) ?? 0 }),
          t('card.guests', { n: num(d.guests) ?? 0 }),
        ]} />
        <ul class="rows">
          {rooms.map((r) => {
            const free = num(r.free_rooms) ?? 0;
            return (
              <li key={String(r.id)} class="row row-block">
                <div class="row-main">
                  <span class="row-title">{pick(r)}</span>
                  <Money fen={r.total} />
                </div>
                <div class="row-main">
                  <span class="muted small">
                    {t('card.per_night', { amount: money(num(r.price_per_night)) })} · {free > 0 ? t('card.rooms_left', { n: free }) : t('card.slot.full')}
                  </span>
                  {free > 0 && (
                    <AskButton ctx={props.ctx} label={t('chat.ask_room')} text={t('chat.ask_room_text', {
                      room: pick(r), hotel: name, check_in: str(d.check_in), check_out: str(d.check_out), guests: num(d.guests) ?? 1,
                    })} />
                  )}
                </div>
              </li>
            );
          })}
        </ul>
      </CardFrame>
    );
  }
  const requested = obj(d.requested);
  const slots = arr(d.slots).filter((s) => s.state === 'available');
  const alternatives = arr(d.alternatives);
  const offered = requested?.state === 'available' ? slots : alternatives.length ? alternatives : slots;
  const party = num(d.party_size) ?? 2;
  return (
    <CardFrame kind="availability" title={`${t('card.availability_table')} · ${name}`}>
      {requested && (
        <p>
          {t('card.requested_slot', { date: str(requested.date), time: str(requested.time), state: tMaybe('card.slot', str(requested.state)) })}
          {' · '}{t('card.party', { n: party })}
        </p>
      )}
      {offered.length > 0 && (
        <div class="chips" role="group" aria-label={t('card.availability_table')}>
          {offered.slice(0, 12).map((s) => (
            props.ctx.onAsk ? (
              <button
                key={String(s.starts_at)}
                type="button"
                class={`chip ${requested && s.starts_at === requested.starts_at ? 'chip-strong' : ''}`}
                onClick={() => props.ctx.onAsk?.(t('chat.ask_book_slot_text', { party, place: name, date: str(s.date), time: str(s.time) }))}
              >
                {t('chat.ask_book_slot', { time: str(s.time) })}
              </button>
            ) : <span key={String(s.starts_at)} class="chip">{str(s.time)}</span>
          ))}
        </div>
      )}
    </CardFrame>
  );
}

export function UnknownCard(props: { card: Card }) {
  const d = props.card.data ?? {};
  const title = pick(d) || str(d.title) || props.card.type;
  return (
    <CardFrame kind="unknown" title={title}>
      <details>
        <summary>{t('card.unknown')}</summary>
        <pre class="json">{JSON.stringify(d, null, 2)}</pre>
      </details>
    </CardFrame>
  );
}

export function CardView(props: { card: Card; ctx?: CardContext }) {
  const ctx = props.ctx ?? {};
  const data = (props.card.data ?? {}) as Rec;
  switch (props.card.type) {
    case 'product': return <ProductCard data={data} ctx={ctx} />;
    case 'merchant': return <MerchantCard data={data} ctx={ctx} />;
    case 'menu': return <MenuCard data={data} ctx={ctx} />;
    case 'place': return <PlaceCard data={data} ctx={ctx} />;
    case 'route': return <RouteCard data={data} />;
    case 'cart': return <CartCard data={data} ctx={ctx} />;
    case 'order': return <OrderCard data={data} />;
    case 'wallet': return <WalletCard data={data} />;
    case 'coupon': return <CouponCard data={data} />;
    case 'booking': return <BookingCard data={data} />;
    case 'ride_quote': return <RideQuoteCard data={data} ctx={ctx} />;
    case 'availability': return <AvailabilityCard data={data} ctx={ctx} />;
    default: return <UnknownCard card={props.card} />;
  }
}

// Several cards of one type in a row (search results) scroll sideways on a phone.
export function CardGroup(props: { cards: Card[]; ctx?: CardContext }) {
  const listLike = props.cards.length > 1 && ['product', 'merchant', 'place', 'coupon'].includes(props.cards[0].type);
  return (
    <div class={listLike ? 'card-list' : 'card-stack'}>
      {props.cards.map((c, i) => <CardView key={i} card={c} ctx={props.ctx} />)}
    </div>
  );
}
