// A pending action (docs/api/agent.md, "Actions"): the exact thing the assistant prepared and
// that only the user's confirmation executes: its summary, total and estimates, and Confirm /
// Change / Cancel. Confirm sends the content hash with an Idempotency-Key that is kept for the
// card's life, so a retry after a dropped connection can never pay twice. Change hands the
// conversation back to the input with a hint ("make it large"), which makes the assistant
// propose a new card. After a decision the card shows what happened and the result's cards
// (the placed order, with its live status).

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, newIdempotencyKey, type ApiError } from '../api';
import { clock, money } from '../format';
import { t, type Key } from '../i18n';
import type { Action, ActionStatus, Card } from '../types';
import { CardView } from './cards';
import { ErrorNote } from './common';

export interface ActionCardProps {
  action: Action;
  onChange?: (action: Action) => void;
  onDecided?: (action: Action) => void;
  onStale?: () => void;  // the server refused it as changed: the conversation holds a new card
  now?: () => number;    // Unix seconds; injectable for tests
}

function contentTotal(a: Action): number | null {
  const c = a.content ?? {};
  for (const k of ['total', 'amount', 'price', 'expected_total', 'expected_price']) {
    const v = (c as Record<string, unknown>)[k];
    if (typeof v === 'number') return v;
  }
  return null;
}

export function ActionCard(props: ActionCardProps) {
  const [action, setAction] = useState<Action>(props.action);
  const [busy, setBusy] = useState<'confirm' | 'cancel' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const key = useRef<string | null>(null);
  const now = props.now ?? (() => Date.now() / 1000);
  useEffect(() => setAction(props.action), [props.action.id, props.action.status]);

  const expired = action.status === 'pending' && action.expires_at > 0 && now() > action.expires_at;
  const status: ActionStatus = expired ? 'expired' : action.status;
  const pending = status === 'pending';

  async function confirm() {
    setBusy('confirm');
    setError(null);
    key.current ??= newIdempotencyKey();
    const r = await api.confirmAction(action.id, action.hash, key.current);
    setBusy(null);
    if (r.ok) {
      setAction(r.value);
      props.onDecided?.(r.value);
      return;
    }
    setError(r.error);
    if (r.error.kind === 'conflict') {
      // Expired, decided elsewhere, or its content changed: the server has the truth.
      const fresh = await api.getAction(action.id);
      if (fresh.ok) setAction(fresh.value);
      props.onStale?.();
    }
  }

  async function cancel() {
    setBusy('cancel');
    setError(null);
    const r = await api.cancelAction(action.id);
    setBusy(null);
    if (r.ok) {
      setAction(r.value);
      props.onDecided?.(r.value);
    } else {
      setError(r.error);
    }
  }

  const total = contentTotal(action);
  const info = (action.info ?? {}) as Record<string, unknown>;
  const resultCards: Card[] = Array.isArray(action.result?.cards) ? (action.result?.cards as Card[]) : [];
  const titleId = `action-${action.id}-title`;
  return (
    <article class={`card card-action action-${status}`} aria-labelledby={titleId}>
      <header class="card-head">
        <h3 class="card-title" id={titleId}>{t('action.title')}</h3>
        <span class={`badge ${pending ? 'badge-warn' : status === 'confirmed' ? 'badge-ok' : status === 'failed' ? 'badge-bad' : 'badge-muted'}`}>
          {t(`action.status.${status}` as Key)}
        </span>
      </header>
      <p class="action-summary">{action.summary}</p>
      <dl class="totals">
        {total !== null && (
          <div class="totals-row totals-strong">
            <dt>{t('action.total')}</dt>
            <dd>{money(total)}</dd>
          </div>
        )}
        {typeof info.balance_after === 'number' && (
          <div class="totals-row">
            <dt>{t('action.balance_after')}</dt>
            <dd>{money(info.balance_after)}</dd>
          </div>
        )}
      </dl>
      {pending && action.expires_at > 0 && <p class="muted small">{t('action.expires', { time: clock(action.expires_at) })}</p>}
      {action.status === 'failed' && action.error && <p class="small text-bad">{action.error}</p>}
      {error && <ErrorNote error={error} />}
      {error?.kind === 'conflict' && <p class="small">{t('action.changed')}</p>}
      {pending && (
        <div class="card-actions action-buttons">
          <button type="button" class="btn btn-primary" onClick={confirm} disabled={busy !== null} aria-busy={busy === 'confirm'}>
            {busy === 'confirm' ? t('action.confirming') : t('action.confirm')}
          </button>
          <button type="button" class="btn" onClick={() => props.onChange?.(action)} disabled={busy !== null}>
            {t('action.change')}
          </button>
          <button type="button" class="btn btn-quiet" onClick={cancel} disabled={busy !== null} aria-busy={busy === 'cancel'}>
            {t('action.cancel')}
          </button>
        </div>
      )}
      {resultCards.length > 0 && (
        <div class="card-stack">
          {resultCards.map((c, i) => <CardView key={i} card={c} />)}
        </div>
      )}
    </article>
  );
}
