// Coordinates for the route map: Google's encoded polyline (precision 1e-5, as GET
// /api/v1/routes and the route card send it) decoded to points, and a projection of points
// onto an SVG box. The demo city is a few kilometres across, so an equirectangular projection
// (x scaled by the cosine of the mean latitude) keeps distances and angles true to well under a
// pixel; the box keeps the route's aspect ratio, north up, centred, with a margin.

import type { LatLon } from './types';

// Decodes an encoded polyline; a malformed tail (a cut string) ends the list where it breaks.
export function decodePolyline(encoded: string, precision = 5): LatLon[] {
  const factor = 10 ** precision;
  const points: LatLon[] = [];
  let index = 0;
  let lat = 0;
  let lon = 0;
  const next = (): number | null => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (index >= encoded.length) return null;
      const b = encoded.charCodeAt(index++) - 63;
      if (b < 0 || b > 63) return null;
      result |= (b & 0x1f) << shift;
      shift += 5;
      if (b < 0x20) break;
      if (shift > 30) return null;
    }
    return result & 1 ? ~(result >> 1) : result >> 1;
  };
  while (index < encoded.length) {
    const dLat = next();
    const dLon = next();
    if (dLat === null || dLon === null) break;
    lat += dLat;
    lon += dLon;
    points.push({ lat: lat / factor, lon: lon / factor });
  }
  return points;
}

export interface Projection {
  project(p: LatLon): { x: number; y: number };
  metresPerUnit: number;  // metres on the ground per SVG unit
}

const earthRadiusM = 6371008.8;

// Fits `points` into a width x height box with `margin` units on every side.
export function fitProjection(points: LatLon[], width: number, height: number, margin: number): Projection {
  let minLat = Infinity, maxLat = -Infinity, minLon = Infinity, maxLon = -Infinity;
  for (const p of points) {
    minLat = Math.min(minLat, p.lat);
    maxLat = Math.max(maxLat, p.lat);
    minLon = Math.min(minLon, p.lon);
    maxLon = Math.max(maxLon, p.lon);
  }
  if (!Number.isFinite(minLat)) {
    minLat = maxLat = 0;
    minLon = maxLon = 0;
  }
  const midLat = (minLat + maxLat) / 2;
  const kx = Math.cos((midLat * Math.PI) / 180);
  // Ground metres of the box's content along each axis (at least 100 m, so one point or a very
  // short route still gets a sensible scale).
  const degToM = (Math.PI / 180) * earthRadiusM;
  const spanX = Math.max((maxLon - minLon) * kx * degToM, 100);
  const spanY = Math.max((maxLat - minLat) * degToM, 100);
  const innerW = Math.max(width - 2 * margin, 1);
  const innerH = Math.max(height - 2 * margin, 1);
  const unitsPerM = Math.min(innerW / spanX, innerH / spanY);
  const midLon = (minLon + maxLon) / 2;
  return {
    project(p: LatLon) {
      const dx = (p.lon - midLon) * kx * degToM;
      const dy = (p.lat - midLat) * degToM;
      return { x: width / 2 + dx * unitsPerM, y: height / 2 - dy * unitsPerM };
    },
    metresPerUnit: 1 / unitsPerM,
  };
}

// A round length for a scale bar of at most `maxM` metres: 1, 2 or 5 times a power of ten.
export function niceLength(maxM: number): number {
  if (!(maxM > 0)) return 0;
  const p = 10 ** Math.floor(Math.log10(maxM));
  for (const k of [5, 2, 1]) if (k * p <= maxM) return k * p;
  return p;
}
