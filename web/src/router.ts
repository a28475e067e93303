// Routing by path with the History API: the current path as a store, navigate() to move, and
// matchRoute() to pick a view and its parameters. `qwenlayer serve` answers every unknown path
// with index.html, so a reload or a shared link to /orders/42 opens that page.

import { createStore } from './store';

function currentPath(): string {
  return typeof location === 'undefined' ? '/' : location.pathname + location.search;
}

export const path = createStore<string>(currentPath());

// Whether the user has moved since the page loaded (a link, back or forward; not the app's own
// redirects): after a move the new page's title takes the focus; on the first load focus stays
// at the top, where the skip link is the first stop.
export let hasNavigated = false;

if (typeof window !== 'undefined') {
  window.addEventListener('popstate', () => {
    hasNavigated = true;
    path.set(currentPath());
  });
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === path.get()) return;
  if (opts.replace) {
    history.replaceState(null, '', to);
  } else {
    history.pushState(null, '', to);
    hasNavigated = true;
  }
  path.set(to);
}

export interface Route<V extends string> {
  view: V;
  pattern: string;  // "/orders/:id"
}

export interface Match<V extends string> {
  view: V;
  params: Record<string, string>;
}

// The first route whose pattern matches the path (query string ignored, trailing slash allowed).
export function matchRoute<V extends string>(routes: Route<V>[], fullPath: string): Match<V> | null {
  const pathname = fullPath.split(/[?#]/)[0].replace(/\/+$/, '') || '/';
  const parts = pathname.split('/').filter(Boolean);
  for (const r of routes) {
    const pattern = r.pattern.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < pattern.length; i++) {
      if (pattern[i].startsWith(':')) {
        try {
          params[pattern[i].slice(1)] = decodeURIComponent(parts[i]);
        } catch {
          ok = false;
          break;
        }
      } else if (pattern[i] !== parts[i]) {
        ok = false;
        break;
      }
    }
    if (ok) return { view: r.view, params };
  }
  return null;
}

export function queryParam(fullPath: string, name: string): string | null {
  const q = fullPath.split('?')[1];
  if (!q) return null;
  return new URLSearchParams(q.split('#')[0]).get(name);
}
