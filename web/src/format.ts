// How numbers read on screen: money from integer fen, instants in the city's time (UTC+8, as
// the server's opening hours and "today" are), distances and durations in the user's language.

import { lang, t } from './i18n';

// ¥41.00 from 4100 fen; ¥1,000.00 with thousands separators; -¥5.00 for negatives.
export function money(fen: number | null | undefined, currency = 'CNY'): string {
  if (fen === null || fen === undefined || !Number.isFinite(fen)) return '–';
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const yuan = Math.floor(abs / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const cents = (abs % 100).toString().padStart(2, '0');
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  return `${sign}${symbol}${yuan}.${cents}`;
}

// "23.5" or "23" typed by a merchant or a customer -> 2350 fen; null when it is not an amount.
export function parseYuan(text: string): number | null {
  const s = text.trim().replace(/^¥/, '').replace(/,/g, '');
  if (!/^\d{1,10}(\.\d{1,2})?$/.test(s)) return null;
  const [whole, frac = ''] = s.split('.');
  return Number(whole) * 100 + Number(frac.padEnd(2, '0'));
}

// Like parseYuan, with an optional sign: an option's price change may lower the price.
export function parseSignedYuan(text: string): number | null {
  const s = text.trim();
  const negative = s.startsWith('-');
  const fen = parseYuan(s.replace(/^[+-]/, ''));
  return fen === null ? null : negative ? -fen : fen;
}

const cityOffsetS = 8 * 3600;

function cityParts(unixS: number) {
  const d = new Date((unixS + cityOffsetS) * 1000);
  return {
    y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: d.getUTCHours(), mi: d.getUTCMinutes(),
  };
}

const two = (n: number) => n.toString().padStart(2, '0');

// "09:10" in the city's time.
export function clock(unixS: number | null | undefined): string {
  if (unixS === null || unixS === undefined) return '–';
  const p = cityParts(unixS);
  return `${two(p.h)}:${two(p.mi)}`;
}

// "2026-11-23" in the city's time.
export function day(unixS: number): string {
  const p = cityParts(unixS);
  return `${p.y}-${two(p.mo)}-${two(p.d)}`;
}

// "11-23 09:10" (this year) in the city's time.
export function dateTime(unixS: number | null | undefined): string {
  if (unixS === null || unixS === undefined) return '–';
  const p = cityParts(unixS);
  return `${two(p.mo)}-${two(p.d)} ${two(p.h)}:${two(p.mi)}`;
}

export function distance(m: number | null | undefined): string {
  if (m === null || m === undefined) return '–';
  if (m < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} km`;
}

export function duration(s: number): string {
  const min = Math.max(1, Math.round(s / 60));
  if (min < 60) return t('time.min', { n: min });
  return t('time.h_min', { h: Math.floor(min / 60), m: min % 60 });
}

export function rating(r: number | null | undefined): string {
  return r === null || r === undefined ? '–' : r.toFixed(1);
}

// A number with the language's grouping.
export function count(n: number): string {
  return n.toLocaleString(lang.get() === 'zh' ? 'zh-CN' : 'en-US');
}
