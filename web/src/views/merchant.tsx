// The merchant's side: the orders board of one store (new, accepted, preparing, on the way,
// done today) with the button that moves each order one step (POST
// /api/v1/merchant/orders/{id}/advance; the customer's page and chat card change live), and a
// store picker shared with the menu editor and the sales page.

import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { ErrorNote, Loading, PageTitle, StatusBadge } from '../components/common';
import { dateTime, day, money } from '../format';
import { pick, t, type Key } from '../i18n';
import { live } from '../live';
import { createStore, useStore } from '../store';
import type { Order, Store } from '../types';

type Rec = Record<string, unknown>;

const storeKey = 'qwl.store';
export const selectedStore = createStore<number | null>(null);

// The stores this account manages, and the one chosen (remembered across visits).
export function useStores() {
  const [stores, setStores] = useState<Store[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const selected = useStore(selectedStore);
  async function load() {
    const r = await api.stores();
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setStores(r.value.data);
    const saved = Number(globalThis.localStorage?.getItem(storeKey));
    const current = selectedStore.get();
    if (!r.value.data.some((s) => s.id === current)) {
      const pickId = r.value.data.some((s) => s.id === saved) ? saved : r.value.data[0]?.id ?? null;
      selectedStore.set(pickId);
    }
  }
  useEffect(() => {
    void load();
  }, []);
  return { stores, error, selected, reload: load };
}

export function StorePicker(props: { stores: Store[]; selected: number | null }) {
  if (props.stores.length <= 1) {
    const s = props.stores[0];
    return s ? <p class="muted">{pick(s as unknown as Rec)}</p> : null;
  }
  return (
    <label class="field field-inline">
      <span>{t('merchant.store')}</span>
      <select
        value={props.selected ?? ''}
        onChange={(e) => {
          const id = Number((e.target as HTMLSelectElement).value);
          try {
            globalThis.localStorage?.setItem(storeKey, String(id));
          } catch {
            // not remembered; still chosen
          }
          selectedStore.set(id);
        }}
      >
        {props.stores.map((s) => <option key={s.id} value={s.id}>{pick(s as unknown as Rec)}</option>)}
      </select>
    </label>
  );
}

// The next step a merchant can take from a status, and its button's words.
export function nextStep(o: Pick<Order, 'status' | 'fulfilment'>): { to: string; label: Key } | null {
  switch (o.status) {
    case 'placed': return { to: 'accepted', label: 'merchant.accept' };
    case 'accepted': return { to: 'preparing', label: 'merchant.prepare' };
    case 'preparing':
      return o.fulfilment === 'pickup' ? { to: 'delivered', label: 'merchant.handed_over' } : { to: 'on_the_way', label: 'merchant.send' };
    case 'on_the_way': return { to: 'delivered', label: 'merchant.deliver' };
    default: return null;
  }
}

const columns: { key: string; title: Key; statuses: string[] }[] = [
  { key: 'placed', title: 'merchant.col.placed', statuses: ['placed'] },
  { key: 'accepted', title: 'merchant.col.accepted', statuses: ['accepted'] },
  { key: 'preparing', title: 'merchant.col.preparing', statuses: ['preparing'] },
  { key: 'on_the_way', title: 'merchant.col.on_the_way', statuses: ['on_the_way'] },
  { key: 'done', title: 'merchant.col.done', statuses: ['delivered', 'cancelled', 'refunded'] },
];

function BoardOrder(props: { order: Order; onChanged: (o: Order) => void }) {
  const o = props.order;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [rejecting, setRejecting] = useState(false);
  const [reason, setReason] = useState('');
  const step = nextStep(o);

  async function advance(to: string, note?: string) {
    setBusy(true);
    setError(null);
    const r = await api.advanceOrder(o.id, to, note);
    setBusy(false);
    if (r.ok) {
      setRejecting(false);
      props.onChanged(r.value);
    } else {
      setError(r.error);
    }
  }

  return (
    <li class="board-order">
      <div class="row-main">
        <span class="row-title">#{o.id}</span>
        <StatusBadge status={o.status} />
      </div>
      <p class="muted small">{dateTime(o.placed_at)} · {o.fulfilment === 'pickup' ? t('card.pickup') : o.delivery_line}</p>
      <ul class="plain small">
        {o.items.map((it) => (
          <li key={it.id}>{it.quantity} × {pick(it as unknown as Rec)}{pick(it as unknown as Rec, 'options') ? ` (${pick(it as unknown as Rec, 'options')})` : ''}</li>
        ))}
      </ul>
      {o.note && <p class="small">{t('orders.note', { note: o.note })}</p>}
      <p class="money">{money(o.total)}</p>
      {error && <ErrorNote error={error} />}
      {step && !rejecting && (
        <div class="card-actions">
          <button type="button" class="btn btn-primary btn-small" disabled={busy} onClick={() => advance(step.to)}>{t(step.label)}</button>
          {(o.status === 'placed' || o.status === 'accepted') && (
            <button type="button" class="btn btn-small btn-quiet" disabled={busy} onClick={() => setRejecting(true)}>{t('merchant.reject')}</button>
          )}
        </div>
      )}
      {rejecting && (
        <form class="form" onSubmit={(e) => {
          e.preventDefault();
          void advance('rejected', reason.trim() || t('merchant.reject_default'));
        }}>
          <label class="field">
            <span>{t('merchant.reject_reason')}</span>
            <input type="text" value={reason} maxLength={200} placeholder={t('merchant.reject_default')}
              onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          </label>
          <div class="card-actions">
            <button type="submit" class="btn btn-danger btn-small" disabled={busy}>{t('merchant.reject')}</button>
            <button type="button" class="btn btn-small" disabled={busy} onClick={() => setRejecting(false)}>{t('app.cancel')}</button>
          </div>
        </form>
      )}
    </li>
  );
}

export function MerchantView() {
  const { stores, error: storesError, selected, reload: reloadStores } = useStores();
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState('');

  async function load(merchantId: number) {
    const r = await api.storeOrders(merchantId, { limit: 100 });
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setOrders(r.value.data);
  }

  useEffect(() => {
    setOrders(null);
    if (selected !== null) void load(selected);
  }, [selected]);

  // The owner's stream carries the store's order events: new orders and the worker's steps.
  useEffect(() => {
    if (selected === null) return undefined;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = live.subscribe((e) => {
      if (e.kind !== 'order') return;
      if (typeof e.payload?.merchant_id === 'number' && e.payload.merchant_id !== selected) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void load(selected), 300);  // a burst of steps: one reload
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [selected]);

  const today = day(Date.now() / 1000);
  const changed = (o: Order) => {
    setOrders((old) => (old ?? []).map((x) => (x.id === o.id ? { ...x, ...o } : x)));
    setNotice(t('merchant.advanced', { id: o.id, status: t(`status.${o.status}` as Key) }));
  };

  return (
    <div>
      <PageTitle>{t('merchant.title')}</PageTitle>
      {storesError && <ErrorNote error={storesError} onRetry={reloadStores} />}
      {stores && stores.length === 0 && <p class="muted">{t('merchant.no_stores')}</p>}
      {stores && stores.length > 0 && (
        <div class="toolbar">
          <StorePicker stores={stores} selected={selected} />
          <button type="button" class="btn btn-small" onClick={() => selected !== null && load(selected)}>{t('app.refresh')}</button>
        </div>
      )}
      <p class="sr-only" role="status">{notice}</p>
      {error && <ErrorNote error={error} onRetry={() => selected !== null && load(selected)} />}
      {selected !== null && !orders && !error && <Loading />}
      {orders && (
        <div class="board">
          {columns.map((c) => {
            const list = orders.filter((o) => c.statuses.includes(o.status) && (c.key !== 'done' || day(o.updated_at ?? o.placed_at) === today));
            return (
              <section key={c.key} class="board-column" aria-labelledby={`col-${c.key}`}>
                <h2 id={`col-${c.key}`}>{t(c.title)} <span class="count">{list.length}</span></h2>
                {list.length === 0 ? <p class="muted small">{t('merchant.empty_col')}</p> : (
                  <ul class="plain">
                    {list.map((o) => <BoardOrder key={o.id} order={o} onChanged={changed} />)}
                  </ul>
                )}
              </section>
            );
          })}
        </div>
      )}
    </div>
  );
}
