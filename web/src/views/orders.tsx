// The customer's orders: a list newest first (paged with "Load more"), and one order's page with
// its items, money, coupons and the timeline of every change. Both follow the live event stream:
// when the merchant or the courier moves an order, its status here changes without a reload.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { OrderProgress } from '../components/cards';
import { ErrorNote, Link, Loading, PageTitle, Panel, StatusBadge, useLoad } from '../components/common';
import { clock, dateTime, money } from '../format';
import { pick, t, tMaybe } from '../i18n';
import { live } from '../live';
import type { Order } from '../types';

function useLiveReload(match: (kind: string, refId: number) => boolean, reload: () => void) {
  useEffect(() => live.subscribe((e) => {
    if (match(e.kind, e.ref_id)) reload();
  }), [reload]);
}

export function OrdersView() {
  const [orders, setOrders] = useState<Order[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);

  async function load(before?: number) {
    setLoading(true);
    const r = await api.listOrders({ limit: 20, before });
    setLoading(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setOrders((old) => (before ? [...old, ...r.value.data] : r.value.data));
    setHasMore(r.value.has_more);
  }

  useEffect(() => {
    void load();
  }, []);
  // A status change: patch the order in place (its list row shows status and total only).
  const shown = useRef<Order[]>([]);
  shown.current = orders;
  useEffect(() => live.subscribe((e) => {
    if (e.kind !== 'order') return;
    if (!shown.current.some((o) => o.id === e.ref_id)) {
      void load();  // a new order (placed from the chat, or on another device)
      return;
    }
    const status = typeof e.payload?.status === 'string' ? e.payload.status : e.status;
    setOrders((old) => old.map((o) => (o.id === e.ref_id ? { ...o, status: status as Order['status'] } : o)));
  }), []);

  return (
    <div>
      <PageTitle>{t('orders.title')}</PageTitle>
      {error && <ErrorNote error={error} onRetry={() => load()} />}
      {loading && orders.length === 0 && <Loading />}
      {!loading && !error && orders.length === 0 && <p class="muted">{t('orders.empty')}</p>}
      <ul class="list plain">
        {orders.map((o) => (
          <li key={o.id} class="list-item">
            <Link href={`/orders/${o.id}`} class="list-link">
              <span class="list-main">
                <span class="row-title">{pick(o as unknown as Record<string, unknown>, 'merchant_name')}</span>
                <span class="muted small">
                  #{o.id} · {dateTime(o.placed_at)} · {o.items.map((i) => `${i.quantity} × ${pick(i as unknown as Record<string, unknown>)}`).join(', ')}
                </span>
              </span>
              <span class="list-end">
                <StatusBadge status={o.status} />
                <span class="money">{money(o.total)}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
      {hasMore && (
        <button type="button" class="btn" disabled={loading} onClick={() => load(orders[orders.length - 1]?.id)}>
          {t('app.more')}
        </button>
      )}
    </div>
  );
}

export function OrderDetailView(props: { id: string }) {
  const id = Number(props.id);
  const { result, reload } = useLoad(() => api.getOrder(id), [id]);
  const [cancelStep, setCancelStep] = useState<'idle' | 'asking' | 'busy'>('idle');
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const [cancelled, setCancelled] = useState(false);
  useLiveReload((kind, ref) => kind === 'order' && ref === id, reload);

  if (!Number.isSafeInteger(id) || id <= 0) return <p>{t('app.not_found')}</p>;
  if (!result) return <Loading />;
  if (!result.ok) {
    return (
      <div>
        <PageTitle>{t('orders.detail', { id })}</PageTitle>
        <ErrorNote error={result.error} onRetry={reload} />
      </div>
    );
  }
  const o = result.value;
  const rec = o as unknown as Record<string, unknown>;

  async function cancel() {
    setCancelStep('busy');
    const r = await api.cancelOrder(id);
    setCancelStep('idle');
    if (r.ok) {
      setCancelError(null);
      setCancelled(true);
      reload();
    } else {
      setCancelError(r.error);
    }
  }

  return (
    <div class="order-detail">
      <p><Link href="/orders">← {t('orders.title')}</Link></p>
      <PageTitle>{t('orders.detail', { id: o.id })}</PageTitle>
      <div class="detail-head">
        <span class="row-title">{pick(rec, 'merchant_name')}</span>
        <span aria-live="polite"><StatusBadge status={o.status} live /></span>
      </div>
      <p class="muted">
        {t('orders.placed_at', { time: dateTime(o.placed_at) })}
        {o.eta_at && !['delivered', 'cancelled', 'refunded'].includes(o.status) ? ` · ${t('card.eta', { time: clock(o.eta_at) })}` : ''}
        {o.fulfilment === 'pickup' ? ` · ${t('card.pickup')}` : o.delivery_line ? ` · ${t('card.deliver_to', { place: o.delivery_line })}` : ''}
      </p>
      <OrderProgress status={o.status} fulfilment={o.fulfilment} />
      <Panel title={t('orders.items')}>
        <ul class="rows">
          {o.items.map((it) => (
            <li key={it.id} class="row row-block">
              <div class="row-main">
                <span class="row-title">{it.quantity} × {pick(it as unknown as Record<string, unknown>)}</span>
                <span class="money">{money(it.line_total)}</span>
              </div>
              {pick(it as unknown as Record<string, unknown>, 'options') && <p class="muted small">{pick(it as unknown as Record<string, unknown>, 'options')}</p>}
            </li>
          ))}
        </ul>
        <dl class="totals">
          <div class="totals-row"><dt>{t('card.subtotal')}</dt><dd>{money(o.subtotal)}</dd></div>
          {(o.coupons ?? []).map((c) => (
            <div class="totals-row" key={c.code}><dt>{t('card.coupon_applied', { code: c.code })}</dt><dd>{money(-c.amount)}</dd></div>
          ))}
          <div class="totals-row"><dt>{t('card.delivery')}</dt><dd>{money(o.delivery_fee)}</dd></div>
          <div class="totals-row totals-strong"><dt>{t('card.total')}</dt><dd>{money(o.total)}</dd></div>
          {o.refunded > 0 && <div class="totals-row"><dt>{t('card.refunded')}</dt><dd>{money(o.refunded)}</dd></div>}
        </dl>
        {o.note && <p class="muted small">{t('orders.note', { note: o.note })}</p>}
      </Panel>
      <Panel title={t('orders.timeline')}>
        <ol class="timeline">
          {(o.timeline ?? []).map((e, i) => (
            <li key={e.id ?? i}>
              <time>{dateTime(e.created_at ?? e.at ?? null)}</time>
              <span class="timeline-status">{tMaybe('status', e.status)}</span>
              {e.note && <span class="muted small"> · {e.note}</span>}
            </li>
          ))}
        </ol>
      </Panel>
      {cancelled && <p class="note note-ok" role="status">{t('orders.cancelled_ok')}</p>}
      {cancelError && <ErrorNote error={cancelError} />}
      {o.status === 'placed' && (
        <div class="card-actions">
          {cancelStep === 'idle' && (
            <button type="button" class="btn btn-quiet" onClick={() => setCancelStep('asking')}>{t('orders.cancel')}</button>
          )}
          {cancelStep !== 'idle' && (
            <div class="confirm-inline" role="group" aria-label={t('orders.cancel')}>
              <span>{t('orders.cancel_confirm', { amount: money(o.total - o.refunded) })}</span>
              <button type="button" class="btn btn-danger" disabled={cancelStep === 'busy'} onClick={cancel}>{t('orders.cancel_yes')}</button>
              <button type="button" class="btn" disabled={cancelStep === 'busy'} onClick={() => setCancelStep('idle')}>{t('orders.cancel_no')}</button>
            </div>
          )}
        </div>
      )}
    </div>
  );
}
