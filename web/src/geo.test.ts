import { describe, expect, it } from 'vitest';
import { decodePolyline, fitProjection, niceLength } from './geo';

describe('decodePolyline', () => {
  it("decodes Google's documented example", () => {
    const pts = decodePolyline('_p~iF~ps|U_ulLnnqC_mqNvxq`@');
    expect(pts).toHaveLength(3);
    expect(pts[0].lat).toBeCloseTo(38.5, 5);
    expect(pts[0].lon).toBeCloseTo(-120.2, 5);
    expect(pts[1].lat).toBeCloseTo(40.7, 5);
    expect(pts[1].lon).toBeCloseTo(-120.95, 5);
    expect(pts[2].lat).toBeCloseTo(43.252, 5);
    expect(pts[2].lon).toBeCloseTo(-126.453, 5);
  });

  it('decodes a route of the demo city (docs/api/maps.md) starting at its from point', () => {
    const pts = decodePolyline('orqwDqhj|U_EyBf@cFe@uH}A_EkB_E_AaPaFSqGKaGSi@gHyEcA{Fr@UqGqFP_ImBmHt@yDFUT');
    expect(pts.length).toBeGreaterThan(10);
    expect(pts[0].lat).toBeCloseTo(30.24184, 4);
    expect(pts[0].lon).toBeCloseTo(120.15257, 4);
  });

  it('stops at a truncated tail and returns nothing for an empty string', () => {
    expect(decodePolyline('')).toEqual([]);
    expect(decodePolyline('_p~iF~ps|U_ulL')).toHaveLength(1);
  });
});

describe('fitProjection', () => {
  const pts = [
    { lat: 30.24, lon: 120.15 },
    { lat: 30.26, lon: 120.17 },
  ];

  it('puts north up and east right, inside the margins', () => {
    const p = fitProjection(pts, 320, 200, 10);
    const sw = p.project(pts[0]);
    const ne = p.project(pts[1]);
    expect(ne.y).toBeLessThan(sw.y);
    expect(ne.x).toBeGreaterThan(sw.x);
    for (const q of [sw, ne]) {
      expect(q.x).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(q.x).toBeLessThanOrEqual(310 + 1e-9);
      expect(q.y).toBeGreaterThanOrEqual(10 - 1e-9);
      expect(q.y).toBeLessThanOrEqual(190 + 1e-9);
    }
  });

  it('keeps ground distances in proportion on both axes (cos of the latitude)', () => {
    const p = fitProjection(pts, 1000, 1000, 0);
    const o = p.project({ lat: 30.25, lon: 120.16 });
    const north = p.project({ lat: 30.251, lon: 120.16 });  // ~111 m north
    const east = p.project({ lat: 30.25, lon: 120.161 });   // ~96 m east at 30.25°
    const dn = o.y - north.y;
    const de = east.x - o.x;
    expect(de / dn).toBeCloseTo(Math.cos((30.25 * Math.PI) / 180), 3);
    expect(p.metresPerUnit * dn).toBeCloseTo(111.2, 0);
  });

  it('centres a single point', () => {
    const p = fitProjection([{ lat: 30.25, lon: 120.16 }], 320, 200, 10);
    const q = p.project({ lat: 30.25, lon: 120.16 });
    expect(q.x).toBeCloseTo(160);
    expect(q.y).toBeCloseTo(100);
  });
});

describe('niceLength', () => {
  it('rounds down to 1, 2 or 5 times a power of ten', () => {
    expect(niceLength(730)).toBe(500);
    expect(niceLength(240)).toBe(200);
    expect(niceLength(1999)).toBe(1000);
    expect(niceLength(0)).toBe(0);
  });
});
