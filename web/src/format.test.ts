import { afterEach, describe, expect, it } from 'vitest';
import { clock, dateTime, day, distance, duration, money, parseYuan } from './format';
import { setLang } from './i18n';

afterEach(() => setLang('en'));

describe('format', () => {
  it('writes fen as yuan', () => {
    expect(money(4100)).toBe('¥41.00');
    expect(money(5)).toBe('¥0.05');
    expect(money(123456789)).toBe('¥1,234,567.89');
    expect(money(-500)).toBe('-¥5.00');
    expect(money(null)).toBe('–');
  });

  it('reads yuan typed by a person', () => {
    expect(parseYuan('23')).toBe(2300);
    expect(parseYuan('23.5')).toBe(2350);
    expect(parseYuan(' ¥1,000.05 ')).toBe(100005);
    expect(parseYuan('1.234')).toBeNull();
    expect(parseYuan('-3')).toBeNull();
    expect(parseYuan('abc')).toBeNull();
  });

  it("shows instants in the city's time (UTC+8)", () => {
    const t = Date.UTC(2026, 10, 23, 1, 10) / 1000;
    expect(clock(t)).toBe('09:10');
    expect(day(t)).toBe('2026-11-23');
    expect(dateTime(Date.UTC(2026, 10, 22, 16, 5) / 1000)).toBe('11-23 00:05');
  });

  it('writes distances and durations', () => {
    expect(distance(412)).toBe('412 m');
    expect(distance(2487)).toBe('2.5 km');
    expect(distance(12400)).toBe('12 km');
    expect(duration(597)).toBe('10 min');
    expect(duration(3900)).toBe('1 h 5 min');
    setLang('zh');
    expect(duration(597)).toBe('10 分钟');
  });
});
