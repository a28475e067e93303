// A store's sales from its orders (GET /api/v1/merchant/orders): revenue and order count per
// city day over the last N days, and the items sold most. Revenue is what the store kept: an
// order's total less its refunds (a cancelled order refunds everything, so it adds nothing).

import { day } from './format';
import type { Order } from './types';

export interface DaySales {
  day: string;     // YYYY-MM-DD, city time
  revenue: number; // fen
  orders: number;  // orders placed that day and not cancelled
}

export interface ItemSales {
  key: string;
  name_en: string;
  name_zh: string;
  quantity: number;
  revenue: number;  // fen, the lines' totals
}

const dayS = 86400;

// One entry per day, oldest first, ending today (`nowS`), zero for days without orders.
export function salesByDay(orders: Order[], days: number, nowS: number): DaySales[] {
  const out: DaySales[] = [];
  const index = new Map<string, DaySales>();
  for (let i = days - 1; i >= 0; i--) {
    const d = { day: day(nowS - i * dayS), revenue: 0, orders: 0 };
    out.push(d);
    index.set(d.day, d);
  }
  for (const o of orders) {
    const d = index.get(day(o.placed_at));
    if (!d) continue;
    d.revenue += Math.max(0, o.total - (o.refunded ?? 0));
    if (o.status !== 'cancelled') d.orders += 1;
  }
  return out;
}

// The `n` items with the largest quantity in orders that were not cancelled (ties: revenue).
export function topItems(orders: Order[], n: number): ItemSales[] {
  const byKey = new Map<string, ItemSales>();
  for (const o of orders) {
    if (o.status === 'cancelled') continue;
    for (const it of o.items ?? []) {
      const key = it.menu_item_id !== null ? `m${it.menu_item_id}` : it.variant_id !== null ? `v${it.variant_id}` : `n${it.name_en}`;
      let s = byKey.get(key);
      if (!s) byKey.set(key, (s = { key, name_en: it.name_en ?? '', name_zh: it.name_zh ?? '', quantity: 0, revenue: 0 }));
      s.quantity += it.quantity;
      s.revenue += it.line_total;
    }
  }
  return [...byKey.values()].sort((a, b) => b.quantity - a.quantity || b.revenue - a.revenue || a.key.localeCompare(b.key)).slice(0, n);
}
