// A store's sales: revenue per day as an SVG bar chart and the items sold most, computed from
// its orders (sales.ts). Each chart has a text title and a table with the same numbers for
// screen readers and for reading exact values.

import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { ErrorNote, Loading, PageTitle, Panel } from '../components/common';
import { money } from '../format';
import { pick, t } from '../i18n';
import { salesByDay, topItems, type DaySales, type ItemSales } from '../sales';
import type { Order } from '../types';
import { StorePicker, useStores } from './merchant';

const days = 14;
const maxPages = 10;

export function DayChart(props: { data: DaySales[] }) {
  const width = 340;
  const height = 180;
  const top = 16;
  const bottom = 22;
  const left = 4;
  const right = 14;  // room for the last day's label
  const max = Math.max(1, ...props.data.map((d) => d.revenue));
  const slot = (width - left - right) / Math.max(1, props.data.length);
  const bar = Math.max(2, slot * 0.7);
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t('merchant.sales_days', { n: props.data.length })}>
      <line x1="0" x2={width} y1={height - bottom} y2={height - bottom} class="chart-axis" />
      {props.data.map((d, i) => {
        const h = ((height - top - bottom) * d.revenue) / max;
        const x = left + i * slot + (slot - bar) / 2;
        const y = height - bottom - h;
        return (
          <g key={d.day}>
            <rect x={x.toFixed(1)} y={y.toFixed(1)} width={bar.toFixed(1)} height={Math.max(0, h).toFixed(1)} class="chart-bar" data-testid="day-bar">
              <title>{`${d.day}: ${money(d.revenue)}, ${t('merchant.sales_orders', { n: d.orders })}`}</title>
            </rect>
            {(i % 2 === (props.data.length - 1) % 2) && (
              <text x={(x + bar / 2).toFixed(1)} y={height - 6} text-anchor="middle" class="chart-label">{d.day.slice(5)}</text>
            )}
          </g>
        );
      })}
      <text x={width - 2} y="11" text-anchor="end" class="chart-label">{money(max)}</text>
    </svg>
  );
}

export function TopItemsChart(props: { items: ItemSales[] }) {
  const rowH = 26;
  const width = 340;
  const height = Math.max(rowH, props.items.length * rowH);
  const max = Math.max(1, ...props.items.map((i) => i.quantity));
  return (
    <svg class="chart" viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t('merchant.sales_top')}>
      {props.items.map((it, i) => {
        const w = ((width - 150) * it.quantity) / max;
        const y = i * rowH;
        const name = pick(it as unknown as Record<string, unknown>);
        return (
          <g key={it.key}>
            <text x="0" y={y + 17} class="chart-label chart-name">{name.length > 14 ? `${name.slice(0, 13)}…` : name}</text>
            <rect x="110" y={y + 5} width={Math.max(2, w).toFixed(1)} height={rowH - 10} class="chart-bar chart-bar-alt" data-testid="item-bar">
              <title>{`${name}: ${t('merchant.sales_sold', { n: it.quantity })}, ${money(it.revenue)}`}</title>
            </rect>
            <text x={(114 + w).toFixed(1)} y={y + 17} class="chart-label">{it.quantity}</text>
          </g>
        );
      })}
    </svg>
  );
}

export function MerchantSalesView() {
  const { stores, error: storesError, selected, reload: reloadStores } = useStores();
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function load(merchantId: number) {
    setOrders(null);
    const since = Date.now() / 1000 - days * 86400;
    const all: Order[] = [];
    let before: number | undefined;
    for (let page = 0; page < maxPages; page++) {
      const r = await api.storeOrders(merchantId, { limit: 100, before });
      if (!r.ok) {
        setError(r.error);
        return;
      }
      all.push(...r.value.data);
      const last = r.value.data[r.value.data.length - 1];
      if (!r.value.has_more || !last || last.placed_at < since) break;
      before = last.id;
    }
    setError(null);
    setOrders(all);
  }
  useEffect(() => {
    if (selected !== null) void load(selected);
  }, [selected]);

  const now = Date.now() / 1000;
  const perDay = orders ? salesByDay(orders, days, now) : [];
  const top = orders ? topItems(orders.filter((o) => o.placed_at >= now - days * 86400), 8) : [];
  const total = perDay.reduce((s, d) => s + d.revenue, 0);
  const count = perDay.reduce((s, d) => s + d.orders, 0);

  return (
    <div>
      <PageTitle>{t('merchant.sales_title')}</PageTitle>
      {storesError && <ErrorNote error={storesError} onRetry={reloadStores} />}
      {stores && stores.length === 0 && <p class="muted">{t('merchant.no_stores')}</p>}
      {stores && stores.length > 0 && (
        <div class="toolbar">
          <StorePicker stores={stores} selected={selected} />
          <button type="button" class="btn btn-small" onClick={() => selected !== null && load(selected)}>{t('app.refresh')}</button>
        </div>
      )}
      {error && <ErrorNote error={error} onRetry={() => selected !== null && load(selected)} />}
      {selected !== null && !orders && !error && <Loading />}
      {orders && (
        <>
          <p class="big-number">{money(total)}</p>
          <p class="muted">{t('merchant.sales_orders', { n: count })}</p>
          <Panel title={t('merchant.sales_days', { n: days })}>
            <DayChart data={perDay} />
            <details>
              <summary>{t('merchant.sales_revenue')}</summary>
              <table class="data-table">
                <thead><tr><th scope="col">{t('merchant.sales_day')}</th><th scope="col">{t('merchant.sales_revenue')}</th><th scope="col">{t('nav.orders')}</th></tr></thead>
                <tbody>{perDay.map((d) => <tr key={d.day}><td>{d.day}</td><td>{money(d.revenue)}</td><td>{d.orders}</td></tr>)}</tbody>
              </table>
            </details>
          </Panel>
          <Panel title={t('merchant.sales_top')}>
            {top.length === 0 ? <p class="muted">{t('merchant.sales_none')}</p> : (
              <>
                <TopItemsChart items={top} />
                <table class="data-table">
                  <thead><tr><th scope="col">{t('merchant.sales_item')}</th><th scope="col">{t('merchant.sales_qty')}</th><th scope="col">{t('merchant.sales_revenue')}</th></tr></thead>
                  <tbody>{top.map((i) => <tr key={i.key}><td>{pick(i as unknown as Record<string, unknown>)}</td><td>{i.quantity}</td><td>{money(i.revenue)}</td></tr>)}</tbody>
                </table>
              </>
            )}
          </Panel>
        </>
      )}
    </div>
  );
}
