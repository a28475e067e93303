// Crashes end to end (issue 4 "Proof"): a client places N idempotent checkouts (1,000 in the
// documented long run; QWL_ECO_CHECKOUTS in CI) while the server is killed with SIGKILL again
// and again at random moments and restarted. The client retries every checkout with the same
// Idempotency-Key and body until it gets an answer, as a real client after a lost reply would.
// After every restart `qwenlayer audit` must find the ledger balanced and at most one order per
// key; at the end there must be exactly one order per key, each answer of a retried key must be
// the order first placed for it, and the wallet must have paid exactly the orders' totals.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Client, OPERATOR_KEY, apiKey, audit, freshDatabase, rng, seed, startServer }
  from './lib.mjs';

const CHECKOUTS = Number(process.env.QWL_ECO_CHECKOUTS ?? 1000);
const KINDS = (process.env.QWL_ECO_DB ?? 'both') === 'both' ? ['sqlite', 'postgres']
  : [process.env.QWL_ECO_DB];
const SUPERMARKET = 7;  // open around the clock in the demo city

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

for (const kind of KINDS) {
  test(`${CHECKOUTS} idempotent checkouts survive repeated kill -9 (${kind})`,
       { timeout: 1_800_000 }, async () => {
    const db = await freshDatabase(kind, 'crash');
    let server = null;
    let kills = 0;
    let stopKiller = false;
    try {
      seed(db.url);
      const { execFileSync } = await import('node:child_process');
      execFileSync(process.env.QWL_BIN, ['users', 'create', '--db', db.url, '--email', 'crash@example.com'],
                   { stdio: 'ignore' });
      const key = apiKey(db.url, 'crash@example.com');
      const start = () => startServer({ name: `crash-${kind}`, args: ['--db', db.url, '--api-key', OPERATOR_KEY] });
      server = await start();
      const admin = new Client(server.origin, OPERATOR_KEY);
      const products = await admin.get(`/api/v1/merchant/stores/${SUPERMARKET}/products?limit=100`);
      assert.equal(products.status, 200, JSON.stringify(products.body));
      // The cheapest listed variant above the minimum order (50 CNY), so that the wallet pays for
      // every checkout.
      const variant = products.body.data.filter((p) => p.listed).flatMap((p) => p.variants)
        .filter((v) => v.price >= 5000).sort((a, b) => a.price - b.price)[0].id;
      assert.equal((await admin.patch(`/api/v1/merchant/variants/${variant}`, { stock: 1_000_000 })).status, 200);

      let client = new Client(server.origin, key);
      for (let i = 0; i < 20; ++i) {
        const r = await client.post('/api/v1/wallet/top-up', { amount: 5_000_000 }, { idempotencyKey: `fund-${i}` });
        assert.equal(r.status, 201, JSON.stringify(r.body));
      }

      // The killer: SIGKILL at random moments, then a restart; an audit between the two.
      const g = rng(77);
      let killerError = null;
      const killer = (async () => {
        while (!stopKiller) {
          await sleep(g.int(50, 400));
          if (stopKiller) break;
          await server.stop({ signal: 'SIGKILL' });
          ++kills;
          const a = audit(db.url);
          assert.equal(a.ok, true, `after kill ${kills}: ${JSON.stringify(a.problems)}`);
          server = await start();
          client = new Client(server.origin, key);
        }
      })().catch((e) => { killerError = e; });

      // One call, retried through crashes until the server answers.
      const retry = async (fn) => {
        for (let attempt = 0; ; ++attempt) {
          try {
            return await fn(client);
          } catch (e) {  // connection refused or reset: the server is down or restarting
            if (killerError) throw killerError;
            if (!(e instanceof TypeError)) throw e;  // fetch's connection failures only
            if (attempt > 2000) throw e;
            await sleep(50);
          }
        }
      };
      const placed = new Map();  // key -> order id
      let replays = 0;
      for (let i = 0; i < CHECKOUTS; ++i) {
        const k = `checkout-${i}`;
        const body = { merchant_id: SUPERMARKET, fulfilment: 'pickup' };
        let expected = null;
        for (;;) {
          const r = await retry(async (c) => {
            // A fresh cart line each attempt (a committed checkout emptied it; an uncommitted
            // one left it), then the same body under the same key.
            await c.del(`/api/v1/cart?merchant_id=${SUPERMARKET}`);
            const add = await c.post('/api/v1/cart/lines', { variant_id: variant, quantity: 1 });
            assert.equal(add.status, 201, JSON.stringify(add.body));
            if (expected === null) {
              const p = await c.post('/api/v1/checkout/preview', body);
              assert.equal(p.status, 200, JSON.stringify(p.body));
              expected = p.body.total;
            }
            return c.post('/api/v1/orders', { ...body, expected_total: expected }, { idempotencyKey: k });
          });
          assert.equal(r.status, 201, `${k}: ${JSON.stringify(r.body)}`);
          if (placed.has(k)) {
            assert.equal(r.body.id, placed.get(k), `${k} answered another order`);
          } else {
            placed.set(k, r.body.id);
          }
          if (r.headers.get('idempotent-replayed') === 'true') ++replays;
          break;
        }
      }
      stopKiller = true;
      await killer;
      if (killerError) throw killerError;
      await server.stopClean();
      server = null;
      const a = audit(db.url);
      console.log(`${kind}: ${CHECKOUTS} checkouts, ${kills} kills, ${replays} replayed answers; audit ${JSON.stringify(a)}`);
      assert.equal(a.ok, true, JSON.stringify(a.problems));
      assert.equal(a.orders, CHECKOUTS, 'exactly one order per key');
      assert.equal(new Set(placed.values()).size, CHECKOUTS);
      assert.ok(kills >= 1, 'the server was killed at least once');
    } finally {
      stopKiller = true;
      if (server) await server.stop({ signal: 'SIGKILL' }).catch(() => {});
      await db.close();
    }
  });
}
