// Small pieces every view uses: links that route without reloading, the text of an error, a
// loading line, a status badge, and a hook that loads data as a Result.

import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { reachable, type ApiError, type Result } from '../api';
import { t, tMaybe, type Key } from '../i18n';
import { hasNavigated, navigate } from '../router';

export function Link(props: JSX.HTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { href, onClick, ...rest } = props;
  return (
    <a
      {...rest}
      href={href}
      onClick={(e) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(e as unknown as MouseEvent);
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        navigate(href);
      }}
    />
  );
}

// What to tell the user about a failed request: what happened in their language, then the
// server's own explanation when it gave one (it names the field or the rule).
export function errorText(error: ApiError): string {
  const head = t(`error.${error.kind}` as Key);
  const generic = new Set(['offline', 'aborted', 'unauthenticated', 'server', 'bad_response', 'unavailable', 'rate_limited']);
  if (generic.has(error.kind) || !error.message) return head;
  return `${head} ${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}`;
}

export function ErrorNote(props: { error: ApiError; onRetry?: () => void }) {
  return (
    <div class="note note-error" role="alert">
      <span>{errorText(props.error)}</span>
      {props.onRetry && (
        <button type="button" class="btn btn-small" onClick={props.onRetry}>
          {t('app.retry')}
        </button>
      )}
    </div>
  );
}

export function Loading() {
  return (
    <p class="loading" role="status">
      {t('app.loading')}
    </p>
  );
}

const statusTone: Record<string, string> = {
  placed: 'info', accepted: 'info', preparing: 'info', on_the_way: 'info', requested: 'info',
  assigned: 'info', arriving: 'info', in_progress: 'info', pending: 'warn',
  delivered: 'ok', booked: 'ok', completed: 'ok', confirmed: 'ok',
  cancelled: 'muted', refunded: 'muted', expired: 'muted', replaced: 'muted', rejected: 'muted',
  failed: 'bad',
};

export function StatusBadge(props: { status: string; live?: boolean }) {
  return (
    <span class={`badge badge-${statusTone[props.status] ?? 'info'}`}>
      {tMaybe('status', props.status)}
      {props.live && <span class="live-dot" aria-hidden="true" />}
    </span>
  );
}

export function Panel(props: { title: string; children: ComponentChildren; actions?: ComponentChildren; headingLevel?: 2 | 3 }) {
  const H = props.headingLevel === 3 ? 'h3' : 'h2';
  return (
    <section class="panel">
      <div class="panel-head">
        <H>{props.title}</H>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

// The page's title, focused after a navigation so that keyboard and screen-reader users start
// on the new page.
export function PageTitle(props: { children: ComponentChildren }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    const active = document.activeElement;
    if (!hasNavigated) return;
    if (!active || active === document.body || active.closest('nav')) ref.current?.focus({ preventScroll: true });
  }, []);
  // The window's title names the page too (history, tabs, screen readers on load).
  useEffect(() => {
    const text = ref.current?.textContent?.trim();
    document.title = text ? `${text} · ${t('app.name')}` : t('app.name');
  });
  return (
    <h1 ref={ref} tabIndex={-1} class="page-title">
      {props.children}
    </h1>
  );
}

export interface Loaded<T> {
  result: Result<T> | null;  // null while the first load runs
  reload: () => void;
  loading: boolean;
}

// Runs `load` when a dependency changes and on reload(); keeps the last result while a reload
// runs, so the page does not flash empty on a slow connection.
export function useLoad<T>(load: () => Promise<Result<T>>, deps: unknown[]): Loaded<T> {
  const [result, setResult] = useState<Result<T> | null>(null);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const generation = useRef(0);
  const lastResult = useRef<Result<T> | null>(null);
  useEffect(() => {
    const g = ++generation.current;
    setLoading(true);
    load().then((r) => {
      if (g !== generation.current) return;  // a newer load has started
      setResult(r);
      setLoading(false);
    });
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  // A load that found the server unreachable runs again as soon as the server answers.
  useEffect(() => reachable.subscribe((ok) => {
    if (ok && lastResult.current && !lastResult.current.ok && lastResult.current.error.kind === 'offline') reload();
  }), []);
  lastResult.current = result;
  return { result, reload, loading };
}
