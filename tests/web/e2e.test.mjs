// The web app end to end: `qwenlayer serve` (web/dist at '/', the demo city in SQLite) driven in
// Debian's Chromium by playwright-core, as a customer on a phone-sized window and a merchant on
// a desktop-sized one.
//
// The assistant's model is a scripted backend (`serve --backend scripted:FILE`: the model's raw
// outputs, parsed as the server parses a real model's), so each flow is exact: the test is of the
// app, the agent, the services and the database, not of a model's accuracy (the default model's
// own end-to-end test is tests/training/default_model_test.py). Everything else is real: the
// HTTP server, sessions and cookies, the SSE stream, pending actions, the services' transactions,
// the live event stream.
//
// Each flow starts its own server on a copy of one demo database seeded once. Screenshots of every
// step go to $QWL_WEB_WORK/shots (build/tests/web/shots under ctest); any console error or
// warning, uncaught page error or failed request fails the flow that caused it.
//
// Environment: QWL_BIN, QWL_API_WORK (the API tests' model fixture), QWL_WEB_DIST (web/dist),
// QWL_WEB_WORK (a writable folder), QWL_CHROMIUM (default /usr/bin/chromium). By hand:
//   QWL_BIN=build/qwenlayer QWL_API_WORK=build/tests/api QWL_WEB_WORK=build/tests/web \
//     node --test tests/web/e2e.test.mjs
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { BIN, REPO, startServer } from '../api/lib/harness.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const DIST = process.env.QWL_WEB_DIST ?? path.join(REPO, 'web', 'dist');
const WORK = process.env.QWL_WEB_WORK ?? path.join(REPO, 'build', 'tests', 'web');
const SHOTS = path.join(WORK, 'shots');
const CHROMIUM = process.env.QWL_CHROMIUM ?? '/usr/bin/chromium';
const AXE = fs.readFileSync(path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

const PHONE = { viewport: { width: 390, height: 844 }, locale: 'en-US' };
const DESKTOP = { viewport: { width: 1280, height: 900 }, locale: 'en-US' };

// The model's outputs for one turn, in Qwen's raw format.
const call = (name, args) => `<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`;
const ORDER_TWO_OAT_LATTES = [
  call('search_merchants', { query: 'Oat Latte', near: 'office' }),
  call('add_to_cart', { menu_item_id: 1, quantity: 2 }),
  call('preview_order', { merchant_id: 1, deliver_to: 'office' }),
  call('checkout', { merchant_id: 1, deliver_to: 'office' }),
];

// The server's clock starts at 11:30 tomorrow, city time (UTC+8), so that the cafés are open
// whenever the test runs (on the real clock the order flows failed from 21:00 to 07:30 city
// time, when Luna Café is closed). Tomorrow rather than today: the page compares a pending
// action's expiry with the browser's clock, so the server's time must not be behind it.
const CITY_NOW = `${new Date(Date.now() + (8 + 24) * 3600e3).toISOString().slice(0, 10)}T11:30`;

let browser;
let seedDb;

before(async () => {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: build the web app first ` +
                    '(npm --prefix web ci && npm --prefix web run build, or scripts/setup.sh)');
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (scripts/test.sh does)`);
  }
  fs.rmSync(WORK, { recursive: true, force: true });
  fs.mkdirSync(SHOTS, { recursive: true });
  // The demo city, seeded once; every flow runs on its own copy.
  seedDb = path.join(WORK, 'seed.db');
  execFileSync(BIN, ['seed', '--scale', 'demo', '--db', seedDb], { stdio: ['ignore', 'ignore', 'pipe'] });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
});

// One flow's world: a server on a fresh copy of the seeded database whose model plays `script`
// (one output per model call, in order), and the browser pages it opened, watched for problems.
class World {
  static async open(name, script) {
    const w = new World(name);
    const db = path.join(WORK, `${name}.db`);
    fs.copyFileSync(seedDb, db);
    const scriptFile = path.join(WORK, `${name}.script`);
    fs.writeFileSync(scriptFile, script.map((s) => JSON.stringify(s)).join('\n') + '\n');
    w.server = await startServer({
      name: `web-${name}`,
      args: ['--db', db, '--backend', `scripted:${scriptFile}`, '--web-root', DIST, '--no-prefix-cache',
             '--now', CITY_NOW],
    });
    w.base = w.server.origin;
    return w;
  }

  constructor(name) {
    this.name = name;
    this.problems = [];
    this.contexts = [];
    this.shot = 0;
  }

  async page(who, options) {
    const context = await browser.newContext(options);
    this.contexts.push(context);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') this.problems.push(`${who}: console.${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => this.problems.push(`${who}: uncaught ${e.message}`));
    page.on('requestfailed', (r) => {
      const reason = r.failure()?.errorText ?? '';
      // A navigation or a closed page aborts the live event stream and a running answer: the
      // browser's doing, not a failure.
      if (reason === 'net::ERR_ABORTED') return;
      this.problems.push(`${who}: request failed: ${r.method()} ${r.url()} ${reason}`);
    });
    return page;
  }

  async screenshot(page, step) {
    this.shot += 1;
    const file = path.join(SHOTS, `${this.name}-${String(this.shot).padStart(2, '0')}-${step}.png`);
    await page.screenshot({ path: file });
    return file;
  }

  // Closes the pages and stops the server (SIGTERM; it must exit 0), whatever the flow did.
  async close() {
    for (const c of this.contexts) await c.close().catch(() => {});
    this.contexts = [];
    const exit = await this.server?.stop();
    this.server = null;
    return exit;
  }
}

// Runs one flow in its own world; afterwards the server must have exited cleanly and the
// browser must have seen no problem.
async function flow(name, script, body) {
  const w = await World.open(name, script);
  try {
    await body(w);
  } finally {
    const exit = await w.close();
    assert.equal(exit?.code, 0, `${name}: serve exit ${JSON.stringify(exit)}`);
  }
  assert.deepEqual(w.problems, [], `${name}: problems in the browser`);
}

// Signs in through the sign-in page with a demo account's button ("Use Alice Chen").
async function signIn(page, base, accountName, landing) {
  await page.goto(base + '/');
  await page.getByRole('button', { name: new RegExp(accountName) }).click();
  await page.getByRole('heading', { name: landing }).waitFor();
}

// The signed-in user's data through the app API, with the page's own session cookie.
async function apiGet(page, route) {
  return page.evaluate(async (r) => {
    const res = await fetch(r, { headers: { Accept: 'application/json' } });
    return { status: res.status, body: await res.json() };
  }, route);
}

async function send(page, label, text) {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(text);
  await input.press('Enter');
}

// axe-core's rules (WCAG 2.x A and AA: names, labels, contrast, landmarks, ARIA) on the page as
// it is now; any serious or critical violation fails.
async function assertAccessible(page, what) {
  // Evaluated over the DevTools protocol: the page's Content-Security-Policy (no inline scripts)
  // rightly refuses a <script> tag.
  await page.evaluate(`${AXE};0`);
  const result = await page.evaluate(async () => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  assert.ok(result.passes.length >= 10, `${what}: axe checked ${result.passes.length} rules`);
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  assert.deepEqual(bad, [], `${what}: accessibility violations`);
}

describe('customer and merchant', { concurrency: false }, () => {
  test('order two oat lattes to my office: card, confirm, the order advances live', async () => {
    await flow('order-en', ORDER_TWO_OAT_LATTES, async (w) => {
      const alice = await w.page('alice', PHONE);
      await alice.goto(w.base + '/');
      await alice.getByRole('heading', { name: 'Sign in' }).waitFor();
      await w.screenshot(alice, 'signin');
      await assertAccessible(alice, 'sign-in page');
      await alice.getByRole('button', { name: /Use Alice Chen/ }).click();
      await alice.getByRole('heading', { name: 'Assistant' }).waitFor();
      await w.screenshot(alice, 'chat');
      await assertAccessible(alice, 'empty chat');

      await send(alice, 'Message', 'order two oat lattes to my office');
      const card = alice.locator('article.card-action');
      await card.getByRole('button', { name: 'Confirm' }).waitFor({ timeout: 20_000 });
      await assert.doesNotReject(card.getByText('Oat Latte').first().waitFor());
      await w.screenshot(alice, 'pending-card');
      await assertAccessible(alice, 'chat with a pending action');
      assert.equal((await apiGet(alice, '/api/v1/orders')).body.data.length, 0, 'no order before Confirm');

      await card.getByRole('button', { name: 'Confirm' }).click();
      await card.getByText('Confirmed', { exact: true }).waitFor({ timeout: 10_000 });
      const placed = alice.locator('article.card-order a[href^="/orders/"]').first();
      await placed.waitFor();
      await w.screenshot(alice, 'confirmed');
      const orders = (await apiGet(alice, '/api/v1/orders')).body.data;
      assert.equal(orders.length, 1, 'one order after Confirm');
      assert.equal(orders[0].status, 'placed');
      assert.equal(orders[0].subtotal, 4600, 'two oat lattes at 23.00');
      const href = await placed.getAttribute('href');
      assert.equal(href, `/orders/${orders[0].id}`);

      await placed.click();
      await alice.getByRole('heading', { name: `Order #${orders[0].id}` }).waitFor();
      await alice.locator('.detail-head').getByText('Placed').waitFor();
      await w.screenshot(alice, 'order-detail');

      // Luna Café's owner, on a desktop, advances the order; Alice's page follows without a reload.
      const luna = await w.page('luna', DESKTOP);
      await signIn(luna, w.base, 'Luna Café', 'Store orders');
      const row = luna.locator('.board-order', { hasText: `#${orders[0].id}` });
      await row.waitFor();
      await w.screenshot(luna, 'merchant-board');
      await assertAccessible(luna, 'merchant board');
      await row.getByRole('button', { name: 'Accept' }).click();
      await alice.locator('.detail-head').getByText('Accepted').waitFor({ timeout: 10_000 });
      await w.screenshot(alice, 'accepted-live');
      await luna.locator('.board-order', { hasText: `#${orders[0].id}` })
        .getByRole('button', { name: 'Start preparing' }).click();
      await alice.locator('.detail-head').getByText('Preparing').waitFor({ timeout: 10_000 });
      await alice.getByRole('heading', { name: 'Timeline' }).waitFor();
      await w.screenshot(alice, 'preparing-live');
      const after = (await apiGet(alice, `/api/v1/orders/${orders[0].id}`)).body;
      assert.equal(after.status, 'preparing');

      // The menu editor: a new price for the Oat Latte, which customers then see.
      await luna.getByRole('link', { name: 'Menu' }).click();
      await luna.getByRole('heading', { name: 'Menu and products' }).waitFor();
      const edit = luna.getByRole('button', { name: 'Edit Oat Latte', exact: true });
      const itemRow = luna.locator('li', { has: edit });
      await edit.click();
      const price = itemRow.getByLabel('Price (¥)');
      await price.fill('24.50');
      await w.screenshot(luna, 'menu-editor');
      await itemRow.getByRole('button', { name: 'Save', exact: true }).click();
      await price.waitFor({ state: 'detached' });
      const menu = (await apiGet(alice, '/api/v1/merchants/1/menu')).body;
      const items = JSON.stringify(menu);
      assert.match(items, /"name_en":"Oat Latte"/);
      const oat = (menu.data ?? menu.items ?? []).find((i) => i.name_en === 'Oat Latte');
      assert.equal(oat?.price, 2450, 'the customer sees the new price');
      assert.equal((await apiGet(alice, `/api/v1/orders/${orders[0].id}`)).body.subtotal, 4600,
                   'the placed order keeps its price');
      await luna.getByRole('link', { name: 'Sales' }).click();
      await luna.getByRole('heading', { name: 'Sales' }).waitFor();
      await luna.locator('svg.chart').first().waitFor();
      await w.screenshot(luna, 'sales');
      await assertAccessible(luna, 'sales');

      // Alice's orders list and wallet show the same order and the money that paid for it.
      await alice.getByRole('link', { name: 'Orders', exact: true }).click();
      await alice.getByRole('heading', { name: 'Orders' }).waitFor();
      await alice.locator(`a[href="/orders/${orders[0].id}"]`).waitFor();
      await w.screenshot(alice, 'orders');
      await assertAccessible(alice, 'orders list');
      await alice.getByRole('link', { name: 'Wallet', exact: true }).click();
      await alice.getByRole('heading', { name: 'Wallet' }).waitFor();
      await alice.locator('.wallet-summary').waitFor();
      await w.screenshot(alice, 'wallet');
      await assertAccessible(alice, 'wallet');
    });
  });

  test('the same order in Chinese: 帮我在露娜咖啡点两杯燕麦拿铁，送到公司', async () => {
    await flow('order-zh', [
      call('search_merchants', { query: '露娜咖啡', near: 'office' }),
      ...ORDER_TWO_OAT_LATTES.slice(1),
    ], async (w) => {
      const wang = await w.page('wang', { ...PHONE, locale: 'zh-CN' });
      await signIn(wang, w.base, '王', '助手');
      assert.equal(await wang.evaluate(() => document.documentElement.lang), 'zh-CN');
      await send(wang, '消息', '帮我在露娜咖啡点两杯燕麦拿铁，送到公司');
      const card = wang.locator('article.card-action');
      await card.getByRole('button', { name: '确认' }).waitFor({ timeout: 20_000 });
      await card.getByText('燕麦拿铁').first().waitFor();
      await w.screenshot(wang, 'pending-card');
      await card.getByRole('button', { name: '确认' }).click();
      await card.getByText('已确认', { exact: true }).waitFor({ timeout: 10_000 });
      await w.screenshot(wang, 'confirmed');
      const orders = (await apiGet(wang, '/api/v1/orders')).body.data;
      assert.equal(orders.length, 1);
      assert.equal(orders[0].status, 'placed');
      await wang.getByRole('link', { name: '订单', exact: true }).click();
      await wang.getByRole('heading', { name: '订单' }).waitFor();
      await wang.locator(`a[href="/orders/${orders[0].id}"]`).click();
      await wang.locator('.detail-head').getByText('已下单').waitFor();
      await w.screenshot(wang, 'order-detail');
      await assertAccessible(wang, 'order detail in Chinese');
    });
  });

  test('a refused confirmation leaves no order and no charge', async () => {
    await flow('refused', ORDER_TWO_OAT_LATTES, async (w) => {
      // In the dark colour scheme, whose contrast is checked too.
      const alice = await w.page('alice', { ...PHONE, colorScheme: 'dark' });
      await signIn(alice, w.base, 'Alice Chen', 'Assistant');
      const before = (await apiGet(alice, '/api/v1/wallet')).body.balance;
      await send(alice, 'Message', 'order two oat lattes to my office');
      const card = alice.locator('article.card-action');
      await card.getByRole('button', { name: 'Cancel' }).waitFor({ timeout: 20_000 });
      await card.getByRole('button', { name: 'Cancel' }).click();
      await card.getByText('Cancelled', { exact: true }).waitFor({ timeout: 10_000 });
      assert.equal(await card.getByRole('button', { name: 'Confirm' }).count(), 0, 'no Confirm left');
      await w.screenshot(alice, 'cancelled-dark');
      await assertAccessible(alice, 'chat in the dark scheme');
      assert.equal((await apiGet(alice, '/api/v1/orders')).body.data.length, 0, 'no order');
      assert.equal((await apiGet(alice, '/api/v1/wallet')).body.balance, before, 'no charge');
    });
  });

  test('a route on the map of the city', async () => {
    await flow('route', [
      call('get_route', { from: 'home', to: 'Luna Café', mode: 'cycling' }),
      'It is a short ride by bike.',
    ], async (w) => {
      const alice = await w.page('alice', DESKTOP);
      await signIn(alice, w.base, 'Alice Chen', 'Assistant');
      await send(alice, 'Message', 'How do I cycle from home to Luna Café?');
      const map = alice.locator('svg.route-map');
      await map.waitFor({ timeout: 20_000 });
      await alice.getByText('It is a short ride by bike.').waitFor();
      assert.ok(await map.locator('[data-testid="route-path"]').count() === 1, 'the route is drawn');
      // The city's roads around it, from GET /api/v1/maps/roads, beneath the route.
      await map.locator('path.map-road-residential').waitFor({ timeout: 10_000 });
      const roads = await map.locator('path.map-road').evaluateAll(
        (paths) => paths.reduce((n, p) => n + (p.getAttribute('d').match(/M/g) ?? []).length, 0));
      assert.ok(roads > 50, `${roads} road segments drawn`);
      await w.screenshot(alice, 'route');
      await assertAccessible(alice, 'chat with a route');
    });
  });

  test('the server unreachable, then back; a slow connection', async () => {
    await flow('offline', ['Hello.'], async (w) => {
      const wang = await w.page('wang', PHONE);
      // A slow connection: 400 ms latency, 50 kB/s down.
      const cdp = await wang.context().newCDPSession(wang);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions',
                     { offline: false, latency: 400, downloadThroughput: 50 * 1024, uploadThroughput: 25 * 1024 });
      await wang.goto(w.base + '/signin');
      await wang.getByRole('heading', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
      await wang.getByRole('button', { name: /王/ }).click();
      await wang.getByRole('heading', { name: /Assistant|助手/ }).waitFor({ timeout: 30_000 });
      await cdp.send('Network.emulateNetworkConditions',
                     { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      // Every API request now fails as if the server were gone.
      await wang.route('**/api/**', (r) => r.abort('connectionrefused'));
      w.problems.length = 0;
      await wang.getByRole('link', { name: /Wallet|钱包/ }).click();
      const banner = wang.locator('.banner-offline');
      await banner.waitFor({ timeout: 10_000 });
      await w.screenshot(wang, 'offline');
      await wang.unroute('**/api/**');
      await banner.waitFor({ state: 'detached', timeout: 15_000 });
      await wang.locator('.wallet-summary').waitFor({ timeout: 10_000 });
      await w.screenshot(wang, 'back-online');
      // The refused requests are what this flow made happen; nothing else may have failed.
      w.problems = w.problems.filter((p) => !/ERR_CONNECTION_REFUSED|ERR_FAILED/.test(p));
    });
  });
});
