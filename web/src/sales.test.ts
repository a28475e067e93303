import { describe, expect, it } from 'vitest';
import { salesByDay, topItems } from './sales';
import type { Order } from './types';

// 2026-11-23 10:30 in the city (UTC+8).
const now = Date.UTC(2026, 10, 23, 2, 30) / 1000;

function order(id: number, placedAt: number, total: number, status: Order['status'], items: [number, string, number, number][], refunded = 0): Order {
  return {
    object: 'order', id, merchant_id: 1, merchant_name_en: 'Luna Café', merchant_name_zh: '露娜咖啡',
    fulfilment: 'delivery', status, subtotal: total, discount: 0, delivery_fee: 0, total, refunded, currency: 'CNY',
    eta_at: null, placed_at: placedAt,
    items: items.map(([menuItem, name, qty, lineTotal], i) => ({
      id: id * 10 + i, menu_item_id: menuItem, variant_id: null, name_en: name, name_zh: name, quantity: qty,
      unit_price: lineTotal / qty, line_total: lineTotal,
    })),
  };
}

describe('salesByDay', () => {
  it('sums revenue less refunds per city day and counts orders that were not cancelled', () => {
    const orders = [
      order(1, now - 60, 4600, 'delivered', [[1, 'Oat Latte', 2, 4600]]),
      // 2026-11-22 23:30 city time: still yesterday in the city although the same UTC day.
      order(2, Date.UTC(2026, 10, 22, 15, 30) / 1000, 2000, 'delivered', [[3, 'Latte', 1, 2000]], 500),
      order(3, now - 3600, 2300, 'cancelled', [[1, 'Oat Latte', 1, 2300]], 2300),
      order(4, now - 30 * 86400, 9900, 'delivered', [[1, 'Oat Latte', 4, 9900]]),
    ];
    const days = salesByDay(orders, 3, now);
    expect(days).toEqual([
      { day: '2026-11-21', revenue: 0, orders: 0 },
      { day: '2026-11-22', revenue: 1500, orders: 1 },
      { day: '2026-11-23', revenue: 4600, orders: 1 },
    ]);
  });
});

describe('topItems', () => {
  it('ranks items by quantity, then revenue, leaving out cancelled orders', () => {
    const orders = [
      order(1, now, 4600, 'delivered', [[1, 'Oat Latte', 2, 4600], [5, 'Croissant', 2, 3000]]),
      order(2, now, 2300, 'placed', [[1, 'Oat Latte', 1, 2300]]),
      order(3, now, 9000, 'cancelled', [[5, 'Croissant', 6, 9000]]),
      order(4, now, 2000, 'delivered', [[3, 'Latte', 1, 2000]]),
    ];
    expect(topItems(orders, 2).map((i) => [i.name_en, i.quantity, i.revenue])).toEqual([
      ['Oat Latte', 3, 6900],
      ['Croissant', 2, 3000],
    ]);
  });
});
