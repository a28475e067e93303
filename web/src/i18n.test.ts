import { afterEach, describe, expect, it } from 'vitest';
import { adoptUserLocale, dictionaries, lang, pick, setLang, t, tMaybe, type Key } from './i18n';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

afterEach(() => setLang('en'));

describe('i18n', () => {
  it('has every key in both languages, none empty', () => {
    const en = Object.keys(dictionaries.en).sort();
    const zh = Object.keys(dictionaries.zh).sort();
    expect(zh).toEqual(en);
    for (const l of ['en', 'zh'] as const) {
      for (const [k, v] of Object.entries(dictionaries[l])) expect(v.trim(), `${l} ${k}`).not.toBe('');
    }
  });

  it('uses the same placeholders in both languages', () => {
    for (const k of Object.keys(dictionaries.en) as Key[]) {
      expect(placeholders(dictionaries.zh[k]), k).toEqual(placeholders(dictionaries.en[k]));
    }
  });

  it('translates every English sentence (a zh string equal to its en one is a forgotten key)', () => {
    const sameOnPurpose = new Set<Key>(['app.name']);
    for (const k of Object.keys(dictionaries.en) as Key[]) {
      if (sameOnPurpose.has(k) || !/[A-Za-z]{3,}/.test(dictionaries.en[k].replace(/\{\w+\}/g, ''))) continue;
      expect(dictionaries.zh[k], k).not.toBe(dictionaries.en[k]);
    }
  });

  it("follows a user's locale unless this browser chose a language", () => {
    localStorage.removeItem('qwl.lang');
    adoptUserLocale('zh');
    expect(lang.get()).toBe('zh');
    setLang('en');
    adoptUserLocale('zh');
    expect(lang.get()).toBe('en');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(t('card.order', { id: 42 })).toBe('Order #42');
    expect(t('card.order')).toBe('Order #{id}');
  });

  it('switches language, persists it and sets <html lang>', () => {
    setLang('zh');
    expect(lang.get()).toBe('zh');
    expect(localStorage.getItem('qwl.lang')).toBe('zh');
    expect(document.documentElement.lang).toBe('zh-CN');
    expect(t('nav.orders')).toBe('订单');
    setLang('en');
    expect(document.documentElement.lang).toBe('en');
    expect(t('nav.orders')).toBe('Orders');
  });

  it('translates data-driven keys and shows unknown values readably', () => {
    expect(tMaybe('status', 'on_the_way')).toBe('On the way');
    expect(tMaybe('status', 'after_sale_escalated')).toBe('after sale escalated');
  });

  it('picks the name in the current language, falling back to the other', () => {
    const r = { name_en: 'Luna Café', name_zh: '露娜咖啡' };
    expect(pick(r)).toBe('Luna Café');
    setLang('zh');
    expect(pick(r)).toBe('露娜咖啡');
    expect(pick({ name_en: 'Only English', name_zh: '' })).toBe('Only English');
    expect(pick({ label: 'home' }, 'label')).toBe('home');
    expect(pick(null)).toBe('');
  });
});
