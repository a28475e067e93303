import { describe, expect, it } from 'vitest';
import sessionJson from '../test/session.json';
import type { Action, SessionDetail, TurnEvent } from '../types';
import { applyEvent, itemsFromHistory, type Part } from './chat';

const action = (status: Action['status']): Action => ({
  object: 'action', id: 'act_1', tool: 'checkout', status, summary: '2 x Oat Latte, Luna Café -> Office; ¥41',
  content: { total: 4100 }, info: { eta: '09:10' }, hash: 'h', session_id: 'ses_1', created_at: 1, expires_at: 601,
  decided_at: null, result: null, error: null, replaced_by: null,
});

describe('applyEvent', () => {
  it('joins text deltas, groups cards of one type, marks tool results', () => {
    let parts: Part[] = [];
    parts = applyEvent(parts, { type: 'tool_call', data: { id: 'c1', name: 'search_merchants', arguments: '{}' } });
    parts = applyEvent(parts, { type: 'tool_result', data: { id: 'c1', name: 'search_merchants', ok: true } });
    parts = applyEvent(parts, { type: 'card', data: { type: 'merchant', data: { id: 1 } } });
    parts = applyEvent(parts, { type: 'card', data: { type: 'merchant', data: { id: 2 } } });
    parts = applyEvent(parts, { type: 'card', data: { type: 'menu', data: { id: 1 } } });
    parts = applyEvent(parts, { type: 'text', data: { delta: 'Luna Café ' } });
    parts = applyEvent(parts, { type: 'text', data: { delta: 'has it.' } });
    parts = applyEvent(parts, { type: 'error', data: { code: 'step_limit', message: 'too many steps' } });
    parts = applyEvent(parts, { type: 'error', data: { code: 'cancelled', message: 'cancelled' } });
    parts = applyEvent(parts, { type: 'done', data: { steps: 2, finish: 'step_limit' } });
    expect(parts).toEqual([
      { kind: 'tool', id: 'c1', name: 'search_merchants', ok: true },
      { kind: 'cards', cards: [{ type: 'merchant', data: { id: 1 } }, { type: 'merchant', data: { id: 2 } }] },
      { kind: 'cards', cards: [{ type: 'menu', data: { id: 1 } }] },
      { kind: 'text', text: 'Luna Café has it.' },
      { kind: 'error', message: 'too many steps' },
    ]);
  });
});

describe('applyEvent on a recorded turn', () => {
  it('marks each tool done even when call ids repeat across steps', () => {
    let parts: Part[] = [];
    const steps: TurnEvent[] = [
      { type: 'tool_call', data: { id: 'call_0', name: 'add_to_cart', arguments: '{}' } },
      { type: 'tool_result', data: { id: 'call_0', name: 'add_to_cart', ok: true } },
      { type: 'tool_call', data: { id: 'call_0', name: 'checkout', arguments: '{}' } },
      { type: 'tool_result', data: { id: 'call_0', name: 'checkout', ok: true } },
    ];
    for (const e of steps) parts = applyEvent(parts, e);
    expect(parts).toEqual([
      { kind: 'tool', id: 'call_0', name: 'add_to_cart', ok: true },
      { kind: 'tool', id: 'call_0', name: 'checkout', ok: true },
    ]);
  });
});

describe('itemsFromHistory', () => {
  it('shows user messages and one answer per run of assistant and tool messages, with current action status', () => {
    const detail: Pick<SessionDetail, 'history' | 'actions'> = {
      history: [
        { object: 'message', seq: 1, created_at: 1, events: [], message: { role: 'user', content: 'two oat lattes to my office' } },
        { object: 'message', seq: 2, created_at: 1, events: [], message: { role: 'assistant', content: '', tool_calls: [{}] } },
        { object: 'message', seq: 3, created_at: 1, events: [], message: { role: 'tool', content: '{}' } },
        {
          object: 'message', seq: 4, created_at: 2,
          events: [
            { event: 'card', data: { type: 'order', data: { object: 'checkout_preview', total: 4100 } } },
            { event: 'action', data: action('pending') },
          ],
          message: { role: 'assistant', content: 'Please confirm.' },
        },
        { object: 'message', seq: 5, created_at: 3, events: [], message: { role: 'user', content: 'thanks' } },
      ],
      actions: [action('confirmed')],
    };
    const items = itemsFromHistory(detail);
    expect(items.map((i) => i.role)).toEqual(['user', 'assistant', 'user']);
    const parts = items[1].parts;
    expect(parts.map((p) => p.kind)).toEqual(['cards', 'action', 'text']);
    expect((parts[1] as { action: Action }).action.status).toBe('confirmed');
  });
});

describe('a real conversation (src/test: recorded from qwenlayer serve with a scripted model)', () => {
  it('redraws the stored session: two questions, the answers with their cards and the pending checkout', () => {
    const items = itemsFromHistory(sessionJson as unknown as SessionDetail);
    expect(items.map((i) => i.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    const first = items[1].parts.map((p) => p.kind);
    expect(first).toEqual(['cards', 'text']);
    const second = items[3].parts;
    expect(second.map((p) => p.kind)).toEqual(['cards', 'action', 'text']);
    const action = (second[1] as { action: Action }).action;
    expect(action.tool).toBe('checkout');
    expect(action.status).toBe('pending');
    expect(action.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
