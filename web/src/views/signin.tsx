// Sign-in with an account's email and password (POST /api/v1/auth/login sets the HTTP-only
// session cookie), with the seeded city's demo accounts one click away (docs/ecosystem/seed.md:
// every demo account's password is "demo").

import { useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { ErrorNote, PageTitle } from '../components/common';
import { t } from '../i18n';
import type { User } from '../types';

const demoAccounts = [
  { email: 'alice@example.com', name: 'Alice Chen', role: 'customer' },
  { email: 'wang@example.com', name: '王芳', role: 'customer' },
  { email: 'luna@example.com', name: 'Luna Café', role: 'merchant' },
  { email: 'manner@example.com', name: 'Manner Coffee', role: 'merchant' },
] as const;

export function SignInView(props: { onSignedIn: (user: User) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function submit(e?: Event, override?: { email: string; password: string }) {
    e?.preventDefault();
    const creds = override ?? { email: email.trim(), password };
    if (!creds.email || !creds.password) return;
    setBusy(true);
    setError(null);
    const r = await api.login(creds.email, creds.password);
    setBusy(false);
    if (r.ok) props.onSignedIn(r.value.user);
    else setError(r.error);
  }

  return (
    <div class="signin">
      <PageTitle>{t('signin.title')}</PageTitle>
      <p class="muted">{t('signin.intro')}</p>
      <form class="form" onSubmit={(e) => submit(e)} aria-describedby={error ? 'signin-error' : undefined}>
        <label class="field">
          <span>{t('signin.email')}</span>
          <input type="email" name="email" autoComplete="username" required value={email}
            onInput={(e) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>{t('signin.password')}</span>
          <input type="password" name="password" autoComplete="current-password" required value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {error && (
          <div id="signin-error">
            {error.kind === 'unauthenticated'
              ? <p class="note note-error" role="alert">{t('signin.wrong')}</p>
              : <ErrorNote error={error} />}
          </div>
        )}
        <button type="submit" class="btn btn-primary btn-wide" disabled={busy}>
          {busy ? t('signin.busy') : t('signin.submit')}
        </button>
      </form>
      <section class="demo-accounts" aria-labelledby="demo-title">
        <h2 id="demo-title">{t('signin.demo')}</h2>
        <ul class="plain demo-list">
          {demoAccounts.map((a) => (
            <li key={a.email}>
              <button
                type="button"
                class="btn btn-wide demo-button"
                disabled={busy}
                onClick={() => {
                  setEmail(a.email);
                  setPassword('demo');
                  void submit(undefined, { email: a.email, password: 'demo' });
                }}
              >
                <span>{t('signin.demo_use', { name: a.name })}</span>
                <span class="muted small">{a.email} · {t(a.role === 'merchant' ? 'signin.merchant' : 'signin.customer')}</span>
              </button>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
