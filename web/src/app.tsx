// The app's shell: who is signed in (GET /api/v1/me at start; a 401 anywhere returns to sign-in),
// the navigation (top bar on a desktop, bottom bar on a phone), the language switch, the banner
// that says when the server cannot be reached (with a retry), and the view for the path:
//
//   /, /chat            the assistant            /merchant          a store's orders board
//   /orders, /orders/N  orders and one order     /merchant/menu     menu and product editor
//   /bookings           tables, hotels, rides    /merchant/sales    sales per day, top items
//   /wallet             balance, top-up, history /signin            sign in

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, reachable, type ApiError } from './api';
import { ErrorNote, Link, Loading } from './components/common';
import { Icon } from './components/icons';
import { adoptUserLocale, lang, setLang, t, type Key } from './i18n';
import { live } from './live';
import { matchRoute, navigate, path as pathStore, queryParam, type Route } from './router';
import { createStore, useStore } from './store';
import type { User } from './types';
import { BookingsView } from './views/bookings';
import { ChatView, resetChat } from './views/chat';
import { MerchantView } from './views/merchant';
import { MerchantMenuView } from './views/merchant_menu';
import { MerchantSalesView } from './views/merchant_sales';
import { OrderDetailView, OrdersView } from './views/orders';
import { SignInView } from './views/signin';
import { WalletView } from './views/wallet';

type View = 'chat' | 'orders' | 'order' | 'bookings' | 'wallet' | 'merchant' | 'merchant_menu' | 'merchant_sales' | 'signin';

export const routes: Route<View>[] = [
  { view: 'chat', pattern: '/' },
  { view: 'chat', pattern: '/chat' },
  { view: 'orders', pattern: '/orders' },
  { view: 'order', pattern: '/orders/:id' },
  { view: 'bookings', pattern: '/bookings' },
  { view: 'wallet', pattern: '/wallet' },
  { view: 'merchant', pattern: '/merchant' },
  { view: 'merchant_menu', pattern: '/merchant/menu' },
  { view: 'merchant_sales', pattern: '/merchant/sales' },
  { view: 'signin', pattern: '/signin' },
];

// undefined: not known yet; null: signed out.
export const currentUser = createStore<User | null | undefined>(undefined);

const customerNav: { href: string; label: Key; icon: string }[] = [
  { href: '/chat', label: 'nav.chat', icon: 'chat' },
  { href: '/orders', label: 'nav.orders', icon: 'orders' },
  { href: '/bookings', label: 'nav.bookings', icon: 'bookings' },
  { href: '/wallet', label: 'nav.wallet', icon: 'wallet' },
];
const merchantNav: { href: string; label: Key; icon: string }[] = [
  { href: '/merchant', label: 'nav.merchant', icon: 'board' },
  { href: '/merchant/menu', label: 'nav.menu', icon: 'menu' },
  { href: '/merchant/sales', label: 'nav.sales', icon: 'sales' },
  { href: '/chat', label: 'nav.chat', icon: 'chat' },
];

const signedInKey = 'qwl.signed_in';

function signedInBefore(): boolean {
  try {
    return globalThis.localStorage?.getItem(signedInKey) === '1';
  } catch {
    return true;  // storage off: ask the server
  }
}

function rememberSignedIn(on: boolean): void {
  try {
    if (on) globalThis.localStorage?.setItem(signedInKey, '1');
    else globalThis.localStorage?.removeItem(signedInKey);
  } catch {
    // storage off: the next visit asks the server
  }
}

function isMerchant(u: User | null | undefined): boolean {
  return !!u && (u.role === 'merchant' || u.role === 'admin');
}

function homeFor(u: User): string {
  return u.role === 'merchant' ? '/merchant' : '/chat';
}

function OfflineBanner(props: { onRetry: () => void }) {
  const ok = useStore(reachable);
  const [online, setOnline] = useState(typeof navigator === 'undefined' ? true : navigator.onLine);
  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);
  // While the server is unreachable, ask again every 5 s, so the banner goes once it is back.
  useEffect(() => {
    if (ok && online) return undefined;
    const timer = setInterval(props.onRetry, 5000);
    return () => clearInterval(timer);
  }, [ok, online]);
  if (ok && online) return null;
  return (
    <div class="banner banner-offline" role="alert">
      <span>{t('app.offline')}</span>
      <button type="button" class="btn btn-small" onClick={props.onRetry}>{t('app.offline_retry')}</button>
    </div>
  );
}

function LiveBanner() {
  const state = useStore(live.state);
  const ok = useStore(reachable);
  if (state !== 'retrying' || !ok) return null;
  return <div class="banner banner-live" role="status">{t('app.live_paused')}</div>;
}

function Nav(props: { user: User; current: string }) {
  const items = isMerchant(props.user) ? merchantNav : customerNav;
  const pathname = props.current.split('?')[0];
  return (
    <nav class="nav" aria-label={t('nav.main')}>
      <ul class="plain">
        {items.map((it) => {
          const active = pathname === it.href || (it.href !== '/merchant' && pathname.startsWith(`${it.href}/`)) || (it.href === '/chat' && pathname === '/');
          return (
            <li key={it.href}>
              <Link href={it.href} aria-current={active ? 'page' : undefined} class={active ? 'nav-link active' : 'nav-link'}>
                <Icon name={it.icon} />
                <span class="nav-text">{t(it.label)}</span>
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

export function App() {
  useStore(lang);  // a language switch redraws everything
  const user = useStore(currentUser);
  const current = useStore(pathStore);
  const [meError, setMeError] = useState<ApiError | null>(null);

  async function checkMe() {
    // Without a sign-in on record there is no session cookie to check (it is HTTP-only, so the
    // page cannot see it): go straight to sign-in rather than ask and be told 401.
    if (!signedInBefore()) {
      currentUser.set(null);
      return;
    }
    const r = await api.me();
    if (r.ok) {
      setMeError(null);
      currentUser.set(r.value);
    } else if (r.error.kind === 'unauthenticated') {
      setMeError(null);
      rememberSignedIn(false);
      currentUser.set(null);
    } else {
      setMeError(r.error);
    }
  }

  useEffect(() => {
    api.onUnauthenticated = () => {
      rememberSignedIn(false);
      currentUser.set(null);
    };
    void checkMe();
  }, []);

  // Another user's conversation must not stay on screen (signing out, or in as someone else);
  // the first answer of /me after a reload keeps the conversation the address names.
  const shownUser = useRef<number | null | undefined>(undefined);
  useEffect(() => {
    const id = user === undefined ? undefined : user === null ? null : user.id;
    if (id === undefined) return;
    if (shownUser.current !== undefined && shownUser.current !== id) resetChat();
    shownUser.current = id;
  }, [user]);

  // Live updates follow the signed-in user; so does the language, unless one was chosen here.
  useEffect(() => {
    if (user) adoptUserLocale(user.locale);
  }, [user?.id]);
  useEffect(() => {
    if (user) live.start();
    else live.stop();
  }, [user?.id]);

  // Signed out: every page but sign-in goes there, remembering where it was going.
  useEffect(() => {
    if (user === null && !current.startsWith('/signin')) {
      const back = current === '/' ? '' : `?next=${encodeURIComponent(current)}`;
      navigate(`/signin${back}`, { replace: true });
    }
    if (user && current.startsWith('/signin')) {
      const next = queryParam(current, 'next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homeFor(user), { replace: true });
    }
    if (user && current.split('?')[0] === '/' && user.role === 'merchant') navigate('/merchant', { replace: true });
  }, [user, current]);

  function retry() {
    live.retryNow();
    void checkMe();
  }

  async function signOut() {
    live.stop();
    await api.logout();
    rememberSignedIn(false);
    currentUser.set(null);
    navigate('/signin');
  }

  const match = matchRoute(routes, current);
  let body;
  if (user === undefined) {
    body = meError ? <ErrorNote error={meError} onRetry={checkMe} /> : <Loading />;
  } else if (user === null || match?.view === 'signin') {
    body = user === null ? <SignInView onSignedIn={(u) => {
      rememberSignedIn(true);
      currentUser.set(u);
    }} /> : <Loading />;
  } else if (!match) {
    body = <p>{t('app.not_found')} <Link href={homeFor(user)}>{t('app.back')}</Link></p>;
  } else if (match.view.startsWith('merchant') && !isMerchant(user)) {
    body = <p>{t('app.not_allowed')}</p>;
  } else {
    switch (match.view) {
      case 'chat': body = <ChatView />; break;
      case 'orders': body = <OrdersView />; break;
      case 'order': body = <OrderDetailView key={match.params.id} id={match.params.id} />; break;
      case 'bookings': body = <BookingsView />; break;
      case 'wallet': body = <WalletView />; break;
      case 'merchant': body = <MerchantView />; break;
      case 'merchant_menu': body = <MerchantMenuView />; break;
      case 'merchant_sales': body = <MerchantSalesView />; break;
      default: body = null;
    }
  }

  const other = lang.get() === 'zh' ? 'en' : 'zh';
  return (
    <div class={`shell ${user ? 'with-nav' : ''}`}>
      <a class="skip-link" href="#main">{t('app.skip')}</a>
      <header class="topbar">
        <Link href={user ? homeFor(user) : '/signin'} class="brand">{t('app.name')}</Link>
        {user && <Nav user={user} current={current} />}
        <div class="topbar-tools">
          <button type="button" class="btn btn-small btn-quiet" lang={other === 'zh' ? 'zh-CN' : 'en'}
            title={t('app.lang_label')} onClick={() => setLang(other)}>
            {t('app.lang_switch')}
          </button>
          {user && (
            <button type="button" class="btn btn-small btn-quiet" onClick={signOut} title={t('nav.signed_in_as', { name: user.name })}>
              {t('nav.signout')}
            </button>
          )}
        </div>
      </header>
      <OfflineBanner onRetry={retry} />
      <LiveBanner />
      <main id="main" class="main" tabIndex={-1}>
        {body}
      </main>
    </div>
  );
}
