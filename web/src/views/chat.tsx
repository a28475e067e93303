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
import { ErrorNote, PageTitle, errorText } from '../components/common';
import { dateTime } from '../format';
import { t, tMaybe, type Key } from '../i18n';
import { navigate, path as pathStore, queryParam } from '../router';
import { useStore } from '../store';
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
      const i = out.findIndex((p) => p.kind === 'tool' && p.id === e.data.id);
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
    if (m.role === 'assistant' && m.content) answer.parts = applyEvent(answer.parts, { type: 'text', data: { delta: m.content } });
    for (const ev of h.events ?? []) {
      if (ev.event === 'card') answer.parts = applyEvent(answer.parts, { type: 'card', data: ev.data as Card });
      else if (ev.event === 'action') {
        const a = ev.data as Action;
        answer.parts = applyEvent(answer.parts, { type: 'action', data: current.get(a.id) ?? a });
      } else if (ev.event === 'error') {
        answer.parts = applyEvent(answer.parts, { type: 'error', data: ev.data as { code: string; message: string } });
      }
    }
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
          {tools.map((p) => <ToolChip key={p.id} name={p.name} ok={p.ok} />)}
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

export function ChatView() {
  const fullPath = useStore(pathStore);
  const sessionId = queryParam(fullPath, 's');
  const [items, setItems] = useState<ChatItem[]>([]);
  const [sessions, setSessions] = useState<Session[]>([]);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const [text, setText] = useState('');
  const [hint, setHint] = useState<string | null>(null);
  const [status, setStatus] = useState('');
  const controller = useRef<AbortController | null>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const listEnd = useRef<HTMLDivElement>(null);
  const log = useRef<HTMLOListElement>(null);
  const ownSession = useRef<string | null>(null);  // a session this view just created

  async function loadSessions() {
    const r = await api.listSessions(20);
    if (r.ok) setSessions(r.value.data);
  }

  async function loadSession(id: string) {
    setLoadError(null);
    const r = await api.getSession(id);
    if (r.ok) {
      setItems(itemsFromHistory(r.value));
    } else {
      setLoadError(r.error);
      if (r.error.kind === 'not_found') navigate('/chat', { replace: true });
    }
  }

  useEffect(() => {
    void loadSessions();
  }, []);

  useEffect(() => {
    if (!sessionId) {
      if (!streaming) setItems([]);
      return;
    }
    if (sessionId === ownSession.current) return;  // already on screen, streaming into it
    controller.current?.abort();
    void loadSession(sessionId);
  }, [sessionId]);

  // Follow the answer as it grows, unless the user has scrolled up to read.
  useEffect(() => {
    const end = listEnd.current;
    if (!end) return;
    const scroller = document.scrollingElement ?? document.documentElement;
    const nearBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 200;
    if (nearBottom || !streaming) end.scrollIntoView?.({ block: 'end' });
  }, [items]);

  useEffect(() => () => controller.current?.abort(), []);

  async function send(message: string) {
    const body = message.trim();
    if (!body || streaming) return;
    setSendError(null);
    setHint(null);
    let id = sessionId;
    if (!id) {
      const created = await api.createSession();
      if (!created.ok) {
        setSendError(errorText(created.error));
        return;
      }
      id = created.value.id;
      ownSession.current = id;
      navigate(`/chat?s=${encodeURIComponent(id)}`, { replace: true });
    }
    const answerKey = nextKey();
    setItems((old) => [
      ...old,
      { key: nextKey(), role: 'user', parts: [{ kind: 'text', text: body }] },
      { key: answerKey, role: 'assistant', parts: [], streaming: true },
    ]);
    setText('');
    setStreaming(true);
    setStatus(t('chat.streaming'));
    const c = new AbortController();
    controller.current = c;
    const update = (f: (parts: Part[]) => Part[]) =>
      setItems((old) => old.map((it) => (it.key === answerKey ? { ...it, parts: f(it.parts) } : it)));
    const r = await api.sendMessage(id, body, (e) => update((parts) => applyEvent(parts, e)), c.signal);
    controller.current = null;
    setStreaming(false);
    setItems((old) => old.map((it) => (it.key === answerKey ? { ...it, streaming: false } : it)));
    if (!r.ok) {
      const message = r.error.kind === 'aborted' ? t('chat.stopped')
        : r.error.kind === 'conflict' ? t('chat.busy') : errorText(r.error);
      update((parts) => [...parts, { kind: 'error', message }]);
      setStatus(message);
    } else {
      setStatus(t('chat.answered'));
    }
    void loadSessions();
  }

  function stop() {
    controller.current?.abort();
  }

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

  function newChat() {
    controller.current?.abort();
    ownSession.current = null;
    setItems([]);
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
                value={sessionId ?? ''}
                onChange={(e) => {
                  const v = (e.target as HTMLSelectElement).value;
                  ownSession.current = null;
                  navigate(v ? `/chat?s=${encodeURIComponent(v)}` : '/chat');
                }}
              >
                <option value="">{t('chat.history')}</option>
                {sessions.map((s) => (
                  <option key={s.id} value={s.id}>{`${dateTime(s.updated_at)} · ${s.title || s.id}`}</option>
                ))}
              </select>
            </label>
          )}
          <button type="button" class="btn btn-small" onClick={newChat}>{t('chat.new')}</button>
        </div>
      </div>
      {loadError && <ErrorNote error={loadError} onRetry={() => sessionId && loadSession(sessionId)} />}
      {items.length === 0 && !loadError && (
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
      <ol class="messages plain" ref={log} role="log" aria-live="polite" aria-busy={streaming} aria-label={t('chat.title')}>
        {items.map((it) => (
          <Message key={it.key} item={it} onAsk={ask} onChange={change} onStale={() => sessionId && loadSession(sessionId)} />
        ))}
      </ol>
      <div ref={listEnd} />
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
          aria-describedby={hint ? 'composer-hint' : undefined}
          onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
          onKeyDown={onKeyDown}
        />
        {streaming ? (
          <button type="button" class="btn btn-stop" onClick={stop}>{t('chat.stop')}</button>
        ) : (
          <button type="submit" class="btn btn-primary" disabled={!text.trim()}>{t('chat.send')}</button>
        )}
      </form>
    </div>
  );
}
