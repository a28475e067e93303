// Concurrency end to end (issue 4 "Proof"): N clients (8) each run M random operations (1,000 in
// the documented long run, fewer in CI: QWL_ECO_OPS) against one `qwenlayer serve` over HTTP:
// checkouts at a 24-hour supermarket whose stock is made scarce, cancellations, a merchant
// (the operator, an admin) advancing and refunding orders, top-ups, table and hotel bookings and
// their cancellations. Every answer must be one the operation allows (never a 5xx, never a
// 400 for these valid requests); afterwards `qwenlayer audit` must find the ledger summing to
// zero, no negative balance or stock, every order paid exactly once and refunded at most that
// much, one order per idempotency key, and no table or room booked twice; and each client's
// wallet must equal its history.
// Run on SQLite and on PostgreSQL (QWL_ECO_DB=sqlite|postgres|both, default both).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, OPERATOR_KEY, apiKey, audit, freshDatabase, localDate, rng, seed, startServer }
  from './lib.mjs';

const CLIENTS = Number(process.env.QWL_ECO_CLIENTS ?? 8);
const OPS = Number(process.env.QWL_ECO_OPS ?? 1000);
const KINDS = (process.env.QWL_ECO_DB ?? 'both') === 'both' ? ['sqlite', 'postgres']
  : [process.env.QWL_ECO_DB];
const SUPERMARKET = 7;     // Freshway Supermarket in the demo city: open around the clock
const SICHUAN = 5;         // Shu Flavour Sichuan Kitchen: tables
const HOTEL = 11;          // Lakeview Hotel: rooms

for (const kind of KINDS) {
  test(`${CLIENTS} clients x ${OPS} random operations keep every invariant (${kind})`,
       { timeout: 1_800_000 }, async () => {
    const db = await freshDatabase(kind, 'concurrency');
    let server;
    try {
      seed(db.url);
      const emails = Array.from({ length: CLIENTS }, (_, i) => `load${i}@example.com`);
      for (const e of emails) {
        // Customers of their own, so that each wallet's history is the client's alone.
        const { execFileSync } = await import('node:child_process');
        execFileSync(process.env.QWL_BIN, ['users', 'create', '--db', db.url, '--email', e],
                     { stdio: 'ignore' });
      }
      const keys = emails.map((e) => apiKey(db.url, e));
      server = await startServer({ name: `concurrency-${kind}`,
                                   args: ['--db', db.url, '--api-key', OPERATOR_KEY, '--http-threads', '8'] });
      const admin = new Client(server.origin, OPERATOR_KEY);

      // Scarce stock: the first variants of the supermarket get 40 each, so that sold-out
      // answers happen under contention.
      const products = await admin.get(`/api/v1/merchant/stores/${SUPERMARKET}/products?limit=100`);
      assert.equal(products.status, 200, JSON.stringify(products.body));
      const variants = products.body.data.filter((p) => p.listed).flatMap((p) => p.variants.map((v) => v.id)).slice(0, 6);
      assert.ok(variants.length >= 3, 'the supermarket sells variants');
      for (const v of variants) {
        const r = await admin.patch(`/api/v1/merchant/variants/${v}`, { stock: 40 });
        assert.equal(r.status, 200, JSON.stringify(r.body));
      }
      const rooms = await admin.get(`/api/v1/places/${HOTEL}/rooms?check_in=${localDate(1)}&check_out=${localDate(2)}&guests=1`);
      assert.equal(rooms.status, 200, JSON.stringify(rooms.body));
      const roomTypes = rooms.body.room_types.map((t) => t.id);

      const unexpected = [];
      const counts = {};
      const expect = (op, r, allowed) => {
        counts[op] = counts[op] ?? {};
        counts[op][r.status] = (counts[op][r.status] ?? 0) + 1;
        if (!allowed.includes(r.status) && unexpected.length < 20)
          unexpected.push(`${op}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
        return allowed.includes(r.status) && r.status < 300;
      };

      const runClient = async (index) => {
        const c = new Client(server.origin, keys[index]);
        const g = rng(1000 + index);
        const orders = [];
        const tables = [];
        const stays = [];
        for (let i = 0; i < OPS; ++i) {
          const op = g.float();
          const key = `c${index}-op${i}`;
          if (op < 0.25) {
            await c.del(`/api/v1/cart?merchant_id=${SUPERMARKET}`);
            const add = await c.post('/api/v1/cart/lines', { variant_id: g.pick(variants), quantity: g.int(1, 3) });
            if (!expect('cart', add, [201, 409])) continue;
            const body = { merchant_id: SUPERMARKET, fulfilment: 'pickup' };
            const preview = await c.post('/api/v1/checkout/preview', body);
            if (!expect('preview', preview, [200, 409])) continue;
            const placed = await c.post('/api/v1/orders', { ...body, expected_total: preview.body.total },
                                        { idempotencyKey: key });
            if (expect('checkout', placed, [201, 409])) orders.push(placed.body.id);
          } else if (op < 0.33) {
            if (!orders.length) continue;
            expect('cancel', await c.post(`/api/v1/orders/${g.pick(orders)}/cancel`, {}), [200, 409]);
          } else if (op < 0.45) {
            if (!orders.length) continue;
            const id = g.pick(orders);
            const order = await admin.get(`/api/v1/orders/${id}`);
            if (!expect('order', order, [200])) continue;
            const next = { placed: 'accepted', accepted: 'preparing', preparing: 'delivered' }[order.body.status];
            if (next) expect('advance', await admin.post(`/api/v1/merchant/orders/${id}/advance`, { to: next }), [200, 409]);
          } else if (op < 0.52) {
            if (!orders.length) continue;
            expect('refund', await admin.post(`/api/v1/orders/${g.pick(orders)}/refund`,
                                             { amount: g.int(1, 500) }, { idempotencyKey: `r-${key}` }), [200, 201, 409]);
          } else if (op < 0.67) {
            expect('top-up', await c.post('/api/v1/wallet/top-up', { amount: g.int(100, 20_000) },
                                          { idempotencyKey: key }), [200, 201]);
          } else if (op < 0.80) {
            const hour = g.int(11, 19);
            const r = await c.post('/api/v1/bookings/tables',
              { place_id: SICHUAN, date: localDate(g.int(1, 3)), time: `${hour}:${g.pick(['00', '30'])}`,
                party_size: g.int(1, 6) }, { idempotencyKey: key });
            if (expect('table', r, [201, 409])) tables.push(r.body.id);
          } else if (op < 0.85) {
            if (!tables.length) continue;
            expect('table-cancel', await c.post(`/api/v1/bookings/tables/${g.pick(tables)}/cancel`, {}), [200, 409]);
          } else if (op < 0.96) {
            const start = g.int(1, 20);
            const q = await c.get(`/api/v1/places/${HOTEL}/rooms?check_in=${localDate(start)}&check_out=${localDate(start + g.int(1, 3))}&guests=1`);
            if (!expect('rooms', q, [200])) continue;
            const type = q.body.room_types.find((t) => t.id === g.pick(roomTypes));
            if (!type) continue;
            const r = await c.post('/api/v1/bookings/hotels',
              { room_type_id: type.id, check_in: q.body.check_in, check_out: q.body.check_out, guests: 1,
                expected_total: type.total }, { idempotencyKey: key });
            if (expect('hotel', r, [201, 409])) stays.push(r.body.id);
          } else {
            if (!stays.length) continue;
            expect('hotel-cancel', await c.post(`/api/v1/bookings/hotels/${g.pick(stays)}/cancel`, {}), [200, 409]);
          }
        }
        // The wallet equals the sum of its history.
        const wallet = await c.get('/api/v1/wallet');
        let sum = 0;
        let before = '';
        for (;;) {
          const h = await c.get(`/api/v1/wallet/history?limit=100${before}`);
          assert.equal(h.status, 200, JSON.stringify(h.body));
          for (const e of h.body.data) sum += e.amount;
          if (!h.body.has_more) break;
          before = `&before=${h.body.data.at(-1).id}`;
        }
        assert.equal(wallet.body.balance, sum, `client ${index}: wallet vs history`);
        assert.ok(wallet.body.balance >= 0);
      };

      const t0 = performance.now();
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => runClient(i)));
      const seconds = (performance.now() - t0) / 1000;
      console.log(`${kind}: ${CLIENTS} x ${OPS} operations in ${seconds.toFixed(1)} s; answers: ${JSON.stringify(counts)}`);
      assert.deepEqual(unexpected, []);
      await server.stopClean();
      server = null;
      const a = audit(db.url);
      console.log(`${kind}: audit ${JSON.stringify(a)}`);
      assert.equal(a.ok, true, JSON.stringify(a.problems));
      assert.ok(a.orders > 0);
      assert.equal(a.orders, counts.checkout?.[201] ?? 0, 'every placed order is in the database once');
    } finally {
      if (server) await server.stop({ signal: 'SIGKILL' }).catch(() => {});
      await db.close();
    }
  });
}
