// The wallet: balance and today's spending, a top-up (one Idempotency-Key per attempt, kept
// while the user retries the same amount, so a retried request never adds the money twice),
// the daily spending limit, and the ledger's history.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newIdempotencyKey, type ApiError } from '../api';
import { ErrorNote, Loading, PageTitle, Panel, useLoad } from '../components/common';
import { dateTime, money, parseYuan } from '../format';
import { t, tMaybe } from '../i18n';
import { live } from '../live';

export function WalletView() {
  const wallet = useLoad(() => api.wallet(), []);
  const history = useLoad(() => api.walletHistory({ limit: 50 }), []);
  const [amount, setAmount] = useState('');
  const [topUpBusy, setTopUpBusy] = useState(false);
  const [topUpError, setTopUpError] = useState<ApiError | string | null>(null);
  const [topUpDone, setTopUpDone] = useState<string | null>(null);
  const topUpKey = useRef<{ amount: number; key: string } | null>(null);
  const [limit, setLimit] = useState<string | null>(null);
  const [limitBusy, setLimitBusy] = useState(false);
  const [limitError, setLimitError] = useState<ApiError | string | null>(null);
  const [limitSaved, setLimitSaved] = useState(false);

  useEffect(() => live.subscribe((e) => {
    if (e.kind === 'wallet' || e.kind === 'order' || e.kind === 'hotel_booking' || e.kind === 'ride') {
      wallet.reload();
      history.reload();
    }
  }), []);

  async function topUp(e: Event) {
    e.preventDefault();
    const fen = parseYuan(amount);
    if (fen === null || fen < 100 || fen > 5_000_000) {
      setTopUpError(t('wallet.amount_bad'));
      return;
    }
    if (!topUpKey.current || topUpKey.current.amount !== fen) topUpKey.current = { amount: fen, key: newIdempotencyKey() };
    setTopUpBusy(true);
    setTopUpError(null);
    setTopUpDone(null);
    const r = await api.topUp(fen, topUpKey.current.key);
    setTopUpBusy(false);
    if (!r.ok) {
      setTopUpError(r.error);
      return;
    }
    topUpKey.current = null;
    setAmount('');
    setTopUpDone(t('wallet.topup_ok', { amount: money(r.value.amount), balance: money(r.value.balance) }));
    wallet.reload();
    history.reload();
  }

  async function saveLimit(e: Event) {
    e.preventDefault();
    const text = (limit ?? '').trim();
    let fen: number | null = null;
    if (text) {
      if (!/^\d{1,9}$/.test(text)) {
        setLimitError(t('wallet.limit_bad'));
        return;
      }
      fen = Number(text) * 100;
    }
    setLimitBusy(true);
    setLimitError(null);
    setLimitSaved(false);
    const r = await api.setDailyLimit(fen);
    setLimitBusy(false);
    if (!r.ok) {
      setLimitError(r.error);
      return;
    }
    setLimitSaved(true);
    setLimit(null);
    wallet.reload();
  }

  const w = wallet.result?.ok ? wallet.result.value : null;
  const limitValue = limit ?? (w && w.daily_spend_limit !== null ? String(Math.floor(w.daily_spend_limit / 100)) : '');

  return (
    <div>
      <PageTitle>{t('wallet.title')}</PageTitle>
      {!wallet.result && <Loading />}
      {wallet.result && !wallet.result.ok && <ErrorNote error={wallet.result.error} onRetry={wallet.reload} />}
      {w && (
        <section class="panel wallet-summary" aria-label={t('wallet.balance')}>
          <p class="muted">{t('wallet.balance')}</p>
          <p class="big-number" aria-live="polite">{money(w.balance)}</p>
          <p class="muted small">
            {t('card.spent_today', { amount: money(w.spent_today) })}
            {' · '}
            {w.daily_spend_limit === null ? t('card.no_limit') : t('card.left_today', { amount: money(w.left_today) })}
          </p>
        </section>
      )}
      <Panel title={t('wallet.topup')}>
        <form class="form form-inline" onSubmit={topUp}>
          <label class="field">
            <span>{t('wallet.amount')}</span>
            <input type="text" inputMode="decimal" value={amount} autoComplete="off"
              onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" class="btn btn-primary" disabled={topUpBusy || !amount.trim()}>{t('wallet.topup')}</button>
        </form>
        {typeof topUpError === 'string' && <p class="note note-error" role="alert">{topUpError}</p>}
        {topUpError && typeof topUpError !== 'string' && <ErrorNote error={topUpError} />}
        {topUpDone && <p class="note note-ok" role="status">{topUpDone}</p>}
      </Panel>
      {w && (
        <Panel title={t('wallet.limit')} headingLevel={2}>
          <form class="form form-inline" onSubmit={saveLimit}>
            <label class="field">
              <span class="sr-only">{t('wallet.limit')}</span>
              <input type="text" inputMode="numeric" value={limitValue}
                onInput={(e) => {
                  setLimit((e.target as HTMLInputElement).value);
                  setLimitSaved(false);
                }} />
            </label>
            <button type="submit" class="btn" disabled={limitBusy}>{t('app.save')}</button>
          </form>
          {typeof limitError === 'string' && <p class="note note-error" role="alert">{limitError}</p>}
          {limitError && typeof limitError !== 'string' && <ErrorNote error={limitError} />}
          {limitSaved && <p class="note note-ok" role="status">{t('app.saved')}</p>}
        </Panel>
      )}
      <Panel title={t('wallet.history')}>
        {!history.result && <Loading />}
        {history.result && !history.result.ok && <ErrorNote error={history.result.error} onRetry={history.reload} />}
        {history.result?.ok && history.result.value.data.length === 0 && <p class="muted">{t('app.none')}</p>}
        {history.result?.ok && (
          <ul class="list plain">
            {history.result.value.data.map((h) => (
              <li key={h.id} class="list-item list-row">
                <span class="list-main">
                  <span class="row-title">{tMaybe('wallet.kind', h.kind)}{h.order_id ? ` · ${t('wallet.order', { id: h.order_id })}` : ''}</span>
                  <span class="muted small">{dateTime(h.created_at)}{h.memo ? ` · ${h.memo}` : ''}</span>
                </span>
                <span class="list-end">
                  <span class={`money ${h.amount >= 0 ? 'text-ok' : ''}`}>{h.amount >= 0 ? '+' : ''}{money(h.amount)}</span>
                  <span class="muted small">{money(h.balance_after)}</span>
                </span>
              </li>
            ))}
          </ul>
        )}
      </Panel>
    </div>
  );
}
