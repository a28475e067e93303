// The conversation with the assistant: a session's messages with their cards and pending
// actions, the answer streaming in as it is written, suggestions to start from, and the input.
// While an answer streams the page stays usable (scroll, read cards, type the next message,
// open other pages); only sending waits, and Stop (or Esc) aborts the request, which ends the
// turn on the server too. The session is in the address (/chat?s=ses_...), so a reload or the
// back button returns to it, redrawn from GET /api/v1/sessions/{id}.

import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api';
import { ActionCard } from '../components/action_card';
import { CardGroup } from '../components/cards';
import { ErrorNote, Loading, PageTitle, errorText } from '../components/common';
import { dateTime } from '../format';
import { t, tMaybe, type Key } from '../i18n';
import { navigate, path as pathStore, queryParam } from '../router';
import { createStore, useStore } from '../store';
import type { Action, Card, Session, SessionDetail, TurnEvent } from '../types';

export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'cards'; cards: Card[] }
  | { kind: 'action'; action: Action }
  | { kind: 'tool'; id: string; name: string; ok: boolean | null }
  | { kind: 'error'; message: string };

export interface ChatItem {
  key: string;
  role: 'user' | 'assistant';
  parts: Part[];
  streaming?: boolean;
}

let keySeq = 0;
const nextKey = () => `m${++keySeq}`;

// Adds one event of a turn to the assistant's parts: text deltas join the text before them,
// cards of one type in a row form one group, a tool's result marks its call.
export function applyEvent(parts: Part[], e: TurnEvent): Part[] {
  const out = parts.slice();
  const last = out[out.length - 1];
  switch (e.type) {
    case 'text':
      if (last && last.kind === 'text') out[out.length - 1] = { kind: 'text', text: last.text + (e.data.delta ?? '') };
      else out.push({ kind: 'text', text: e.data.delta ?? '' });
      break;
    case 'card':
      if (last && last.kind === 'cards' && last.cards[0]?.type === e.data.type) {
        out[out.length - 1] = { kind: 'cards', cards: [...last.cards, e.data] };
      } else {
        out.push({ kind: 'cards', cards: [e.data] });
      }
      break;
    case 'action':
      out.push({ kind: 'action', action: e.data });
      break;
    case 'tool_call':
      out.push({ kind: 'tool', id: e.data.id, name: e.data.name, ok: null });
      break;
    case 'tool_result': {
      // Call ids start over at each model step ("call_0" again): the result answers the latest
      // call of that id still waiting.
      let i = -1;
      for (let j = out.length - 1; j >= 0 && i < 0; j--) {
        const p = out[j];
        if (p.kind === 'tool' && p.id === e.data.id && p.ok === null) i = j;
      }
      if (i >= 0) out[i] = { ...(out[i] as Extract<Part, { kind: 'tool' }>), ok: e.data.ok };
      break;
    }
    case 'error':
      if (e.data.code !== 'cancelled') out.push({ kind: 'error', message: e.data.message || e.data.code });
      break;
    default:
      break;
  }
  return out;
}

// A stored conversation as the app shows it: user messages, and each run of assistant and tool
// messages between them as one answer with the cards, actions and errors attached to it.
// `actions` (the session's, with their current status) replaces the status an action card had
// when it was shown.
export function itemsFromHistory(detail: Pick<SessionDetail, 'history' | 'actions'>): ChatItem[] {
  const current = new Map((detail.actions ?? []).map((a) => [a.id, a]));
  const items: ChatItem[] = [];
  let answer: ChatItem | null = null;
  for (const h of detail.history ?? []) {
    const m = h.message;
    if (m.role === 'user') {
      answer = null;
      items.push({ key: nextKey(), role: 'user', parts: [{ kind: 'text', text: m.content ?? '' }] });
      continue;
    }
    if (m.role !== 'assistant' && m.role !== 'tool') continue;
    if (!answer) {
      answer = { key: nextKey(), role: 'assistant', parts: [] };
      items.push(answer);
    }
    // The stream shows a turn's cards before the words that close it; the events are attached
    // to the turn's last message, so they go before its text.
    for (const ev of h.events ?? []) {
      if (ev.event === 'card') answer.parts = applyEvent(answer.parts, { type: 'card', data: ev.data as Card });
      else if (ev.event === 'action') {
        const a = ev.data as Action;
        answer.parts = applyEvent(answer.parts, { type: 'action', data: current.get(a.id) ?? a });
      } else if (ev.event === 'error') {
        answer.parts = applyEvent(answer.parts, { type: 'error', data: ev.data as { code: string; message: string } });
      }
    }
    if (m.role === 'assistant' && m.content) answer.parts = applyEvent(answer.parts, { type: 'text', data: { delta: m.content } });
  }
  return items.filter((i) => i.parts.length > 0);
}

const suggestionKeys: Key[] = ['suggest.1', 'suggest.2', 'suggest.3', 'suggest.4', 'suggest.5', 'suggest.6'];

function ToolChip(props: { name: string; ok: boolean | null }) {
  const name = tMaybe('tool', props.name);
  const label = props.ok === false ? t('chat.tool_failed', { name }) : t('chat.tool', { name });
  return <span class={`tool-chip ${props.ok === false ? 'tool-failed' : props.ok ? 'tool-done' : 'tool-running'}`}>{label}</span>;
}

function Message(props: {
  item: ChatItem;
  onAsk: (text: string) => void;
  onChange: (a: Action) => void;
  onStale: () => void;
}) {
  const { item } = props;
  if (item.role === 'user') {
    return (
      <li class="msg msg-user">
        <span class="sr-only">{t('chat.you')}: </span>
        <p class="bubble">{(item.parts[0] as { text: string }).text}</p>
      </li>
    );
  }
  const tools = item.parts.filter((p): p is Extract<Part, { kind: 'tool' }> => p.kind === 'tool');
  return (
    <li class="msg msg-assistant">
      <span class="sr-only">{t('chat.assistant')}: </span>
      {tools.length > 0 && (
        <div class="tool-chips">
          {tools.map((p, i) => <ToolChip key={i} name={p.name} ok={p.ok} />)}
        </div>
      )}
      {item.parts.map((p, i) => {
        switch (p.kind) {
          case 'text':
            return <p key={i} class="bubble">{p.text}</p>;
          case 'cards':
            return <CardGroup key={i} cards={p.cards} ctx={{ onAsk: props.onAsk }} />;
          case 'action':
            return <ActionCard key={p.action.id} action={p.action} onChange={props.onChange} onStale={props.onStale} />;
          case 'error':
            return <p key={i} class="note note-error" role="alert">{t('chat.turn_error', { message: p.message })}</p>;
          default:
            return null;
        }
      })}
      {item.streaming && <span class="typing" aria-hidden="true"><span /><span /><span /></span>}
    </li>
  );
}

interface ChatState {
  sessionId: string | null;
  items: ChatItem[];
  streaming: boolean;
  status: string;               // announced to screen readers: answering, answered, stopped
  loadError: ApiError | null;
  sendError: string | null;
  sessions: Session[];
  loading: boolean;             // a stored conversation is being fetched
}

const emptyChat: ChatState = {
  sessionId: null, items: [], streaming: false, status: '', loadError: null, sendError: null, sessions: [], loading: false,
};

// The conversation lives outside the view, so that an answer keeps streaming while the user
// looks at another page, and is there when they come back.
export const chat = createStore<ChatState>(emptyChat);
let controller: AbortController | null = null;

function patch(p: Partial<ChatState>): void {
  chat.set({ ...chat.get(), ...p });
}

export function resetChat(): void {
  controller?.abort();
  controller = null;
  chat.set(emptyChat);
}

export async function loadSessions(): Promise<void> {
  const r = await api.listSessions(20);
  if (r.ok) patch({ sessions: r.value.data });
}

async function loadSession(id: string): Promise<void> {
  patch({ loadError: null, loading: true });
  const r = await api.getSession(id);
  if (chat.get().sessionId !== id) return;  // the user has moved on
  patch({ loading: false });
  if (r.ok) {
    patch({ items: itemsFromHistory(r.value) });
  } else {
    patch({ loadError: r.error });
    if (r.error.kind === 'not_found') {
      patch({ sessionId: null, items: [] });
      navigate('/chat', { replace: true });
    }
  }
}

// Shows session `id` (from the address); another session's stream is stopped.
export function openSession(id: string): void {
  if (chat.get().sessionId === id) return;
  controller?.abort();
  patch({ sessionId: id, items: [], streaming: false, loadError: null, sendError: null });
  void loadSession(id);
}

export function reloadSession(): void {
  const id = chat.get().sessionId;
  if (id) void loadSession(id);
}

export function newChat(): void {
  resetChat();
  void loadSessions();
}

export function stopAnswer(): void {
  controller?.abort();
}

// Sends a message in the current session (creating one first when there is none) and streams
// the answer into the conversation. Returns false when nothing was sent.
export async function sendMessage(message: string): Promise<boolean> {
  const body = message.trim();
  if (!body || chat.get().streaming) return false;
  patch({ sendError: null });
  let id = chat.get().sessionId;
  if (!id) {
    const created = await api.createSession();
    if (!created.ok) {
      patch({ sendError: errorText(created.error) });
      return false;
    }
    id = created.value.id;
    patch({ sessionId: id, items: [] });
    const here = pathStore.get().split('?')[0];
    if (here === '/chat' || here === '/') navigate(`/chat?s=${encodeURIComponent(id)}`, { replace: true });
  }
  const answerKey = nextKey();
  patch({
    items: [
      ...chat.get().items,
      { key: nextKey(), role: 'user', parts: [{ kind: 'text', text: body }] },
      { key: answerKey, role: 'assistant', parts: [], streaming: true },
    ],
    streaming: true,
    status: t('chat.streaming'),
  });
  const c = new AbortController();
  controller = c;
  const sessionId = id;
  const update = (f: (it: ChatItem) => ChatItem) => {
    if (chat.get().sessionId !== sessionId) return;
    patch({ items: chat.get().items.map((it) => (it.key === answerKey ? f(it) : it)) });
  };
  const r = await api.sendMessage(id, body, (e) => update((it) => ({ ...it, parts: applyEvent(it.parts, e) })), c.signal);
  if (controller === c) controller = null;
  update((it) => ({ ...it, streaming: false }));
  if (chat.get().sessionId === sessionId) patch({ streaming: false });
  if (!r.ok) {
    const text = r.error.kind === 'aborted' ? t('chat.stopped')
      : r.error.kind === 'conflict' ? t('chat.busy') : errorText(r.error);
    update((it) => ({ ...it, parts: [...it.parts, { kind: 'error', message: text }] }));
    if (chat.get().sessionId === sessionId) patch({ status: text });
  } else if (chat.get().sessionId === sessionId) {
    patch({ status: t('chat.answered') });
  }
  void loadSessions();
  return true;
}

export function ChatView() {
  const fullPath = useStore(pathStore);
  const state = useStore(chat);
  const urlSession = queryParam(fullPath, 's');
  const { items, streaming, sessions, loadError, sendError, status, loading } = state;
  const [text, setText] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    void loadSessions();
  }, []);

  // The address names the session; /chat alone comes back to the conversation on screen.
  useEffect(() => {
    if (urlSession) openSession(urlSession);
    else if (chat.get().sessionId) navigate(`/chat?s=${encodeURIComponent(chat.get().sessionId as string)}`, { replace: true });
  }, [urlSession]);

  // Follow the answer as it grows, unless the user has scrolled up to read: scrolling away from
  // the bottom stops following, coming back to it starts again.
  const follow = useRef(true);
  useEffect(() => {
    const onScroll = () => {
      const el = document.scrollingElement ?? document.documentElement;
      follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 150;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => window.removeEventListener('scroll', onScroll);
  }, []);
  useEffect(() => {
    if (!follow.current) return;
    const el = document.scrollingElement ?? document.documentElement;
    el.scrollTop = el.scrollHeight;
  }, [items]);

  async function send(message: string) {
    if (!message.trim() || chat.get().streaming) return;  // Enter while answering keeps the draft
    follow.current = true;
    setHint(null);
    const previous = text;
    setText('');
    const sent = await sendMessage(message);
    if (!sent) setText(previous);
  }

  const stop = stopAnswer;

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      void send(text);
    } else if (e.key === 'Escape') {
      if (streaming) stop();
      else if (hint) setHint(null);
    }
  }

  function change(_a: Action) {
    setHint(t('chat.change_hint'));
    input.current?.focus();
  }

  function ask(question: string) {
    if (streaming) {
      setText(question);
      input.current?.focus();
      return;
    }
    void send(question);
  }

  function startNew() {
    newChat();
    navigate('/chat');
    input.current?.focus();
  }

  return (
    <div class="chat">
      <div class="chat-head">
        <PageTitle>{t('chat.title')}</PageTitle>
        <div class="chat-tools">
          {sessions.length > 0 && (
            <label class="select-label">
              <span class="sr-only">{t('chat.history_pick')}</span>
              <select
                value={state.sessionId ?? ''}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  if (v) navigate(`/chat?s=${encodeURIComponent(v)}`);
                  else startNew();
                }}
              >
                <option value="">{t('chat.history')}</option>
                {sessions.map((s) => (
                  <option key={s.id} value={s.id}>{`${dateTime(s.updated_at)} · ${s.title || s.id}`}</option>
                ))}
              </select>
            </label>
          )}
          <button type="button" class="btn btn-small" onClick={startNew}>{t('chat.new')}</button>
        </div>
      </div>
      {loadError && <ErrorNote error={loadError} onRetry={reloadSession} />}
      {loading && items.length === 0 && <Loading />}
      {items.length === 0 && !loadError && !loading && (
        <section class="suggestions" aria-labelledby="suggestions-title">
          <h2 id="suggestions-title">{t('chat.empty_title')}</h2>
          <p class="muted">{t('chat.suggestions')}</p>
          <ul class="chips plain">
            {suggestionKeys.map((k) => (
              <li key={k}>
                <button type="button" class="chip" onClick={() => ask(t(k))}>{t(k)}</button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {items.length > 0 && <h2 class="sr-only">{t('chat.conversation')}</h2>}
      <div role="log" aria-live="polite" aria-busy={streaming} aria-label={t('chat.conversation')}>
        <ol class="messages plain">
          {items.map((it) => (
            <Message key={it.key} item={it} onAsk={ask} onChange={change} onStale={reloadSession} />
          ))}
        </ol>
      </div>
      <p class="sr-only" role="status">{status}</p>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          void send(text);
        }}
      >
        {hint && (
          <p class="composer-hint" id="composer-hint">
            {hint}
            <button type="button" class="btn-link" onClick={() => setHint(null)} aria-label={t('app.close')}>×</button>
          </p>
        )}
        {sendError && <p class="note note-error" role="alert">{sendError}</p>}
        <label for="chat-input" class="sr-only">{t('chat.input_label')}</label>
        <textarea
          id="chat-input"
          ref={input}
          rows={1}
          value={text}
          maxLength={4000}
          placeholder={hint ?? t('chat.placeholder')}
          aria-describedby={hint ? 'composer-hint composer-keys' : 'composer-keys'}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        {streaming ? (
          <button type="button" class="btn btn-stop" onClick={stop}>{t('chat.stop')}</button>
        ) : (
          <button type="submit" class="btn btn-primary" disabled={!text.trim()}>{t('chat.send')}</button>
        )}
        <p class="composer-keys muted small" id="composer-keys">{t('chat.keys')}</p>
      </form>
    </div>
  );
}
