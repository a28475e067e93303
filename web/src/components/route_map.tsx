// A route drawn on a small map of the city, in SVG from the route's own coordinates: the
// decoded polyline (else the steps' start points), a start and an end marker, the turns as dots,
// a scale bar and a north arrow. `roads` (the road network around the route, GET
// /api/v1/maps/roads, loaded by useRoads) are drawn beneath, wider and darker for larger roads;
// until they arrive, or if they cannot be had, a plain grid stands in. The figure carries a text
// label with the route's summary, and the steps are listed as text beside it, so nothing
// depends on seeing the picture.

import { useEffect, useState } from 'preact/hooks';
import { api } from '../api';
import { decodePolyline, fitProjection, niceLength } from '../geo';
import { t } from '../i18n';
import type { LatLon, RoadMap } from '../types';

// A road of the map: a straight segment and its class ("motorway" ... "path").
export interface RoadSegment {
  a: LatLon;
  b: LatLon;
  cls: string;
}

const roadClasses = ['motorway', 'primary', 'secondary', 'residential', 'path'] as const;

export function roadSegments(map: RoadMap): RoadSegment[] {
  return map.segments.map(([alat, alon, blat, blon, k]) => ({
    a: { lat: alat, lon: alon },
    b: { lat: blat, lon: blon },
    cls: map.classes[k] ?? 'residential',
  }));
}

// The box to ask roads for: the points' bounds with room around them (the map is wider or taller
// than the route), at most 0.2 degrees on a side as the server allows.
export function roadBox(pts: LatLon[]): [number, number, number, number] | null {
  if (pts.length === 0) return null;
  let s = Infinity, w = Infinity, n = -Infinity, e = -Infinity;
  for (const p of pts) {
    s = Math.min(s, p.lat); n = Math.max(n, p.lat);
    w = Math.min(w, p.lon); e = Math.max(e, p.lon);
  }
  const pad = Math.max(0.004, 0.6 * Math.max(n - s, e - w));
  const half = Math.min(0.0999, (Math.max(n - s, e - w) / 2) + pad);
  const clat = (s + n) / 2, clon = (w + e) / 2;
  return [Math.max(-90, clat - half), Math.max(-180, clon - half), Math.min(90, clat + half), Math.min(180, clon + half)];
}

// Loaded boxes, for the page's life: a conversation redrawn asks once per route.
const roadCache = new Map<string, Promise<RoadSegment[] | null>>();

// Forgets the loaded boxes (tests; a sign-out would not need to: roads are public).
export function forgetRoads() {
  roadCache.clear();
}

// The roads around `pts`, or undefined until (and unless) they arrive.
export function useRoads(pts: LatLon[]): RoadSegment[] | undefined {
  const box = roadBox(pts);
  const key = box ? box.map((v) => v.toFixed(5)).join(',') : '';
  const [roads, setRoads] = useState<RoadSegment[] | undefined>(undefined);
  useEffect(() => {
    if (!box) return;
    let cached = roadCache.get(key);
    if (!cached) {
      cached = api.roadMap(box).then((r) => (r.ok ? roadSegments(r.value) : null));
      roadCache.set(key, cached);
      // A failure is not kept: the next card asks again.
      void cached.then((v) => { if (v === null) roadCache.delete(key); });
    }
    let live = true;
    void cached.then((v) => { if (live && v) setRoads(v); });
    return () => { live = false; };
  }, [key]);
  return roads;
}

export interface RouteMapProps {
  polyline?: string;
  points?: LatLon[];        // used when there is no polyline
  from?: LatLon;
  to?: LatLon;
  turns?: LatLon[];
  roads?: RoadSegment[];
  label: string;
  fromLabel?: string;
  toLabel?: string;
  width?: number;
  height?: number;
}

export function routePoints(props: Pick<RouteMapProps, 'polyline' | 'points' | 'from' | 'to'>): LatLon[] {
  let pts = props.polyline ? decodePolyline(props.polyline) : [];
  if (pts.length < 2) pts = props.points ?? [];
  if (pts.length === 0) pts = [props.from, props.to].filter((p): p is LatLon => !!p);
  return pts;
}

const fmt = (n: number) => n.toFixed(1);

export function RouteMap(props: RouteMapProps) {
  const width = props.width ?? 320;
  const height = props.height ?? 200;
  const margin = 18;
  const pts = routePoints(props);
  if (pts.length === 0) return null;
  const from = props.from ?? pts[0];
  const to = props.to ?? pts[pts.length - 1];
  const proj = fitProjection([...pts, from, to], width, height, margin);
  const path = pts.map((p, i) => {
    const q = proj.project(p);
    return `${i === 0 ? 'M' : 'L'}${fmt(q.x)} ${fmt(q.y)}`;
  }).join(' ');
  const a = proj.project(from);
  const b = proj.project(to);
  const scaleM = niceLength(proj.metresPerUnit * width * 0.3);
  const scaleUnits = scaleM / proj.metresPerUnit;
  const gridM = niceLength(proj.metresPerUnit * Math.max(width, height) / 5);
  const gridUnits = gridM / proj.metresPerUnit;
  const grid: string[] = [];
  if (gridUnits > 8) {
    for (let x = (width / 2) % gridUnits; x < width; x += gridUnits) grid.push(`M${fmt(x)} 0V${height}`);
    for (let y = (height / 2) % gridUnits; y < height; y += gridUnits) grid.push(`M0 ${fmt(y)}H${width}`);
  }
  return (
    <svg
      class="route-map"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={props.label}
      preserveAspectRatio="xMidYMid meet"
    >
      <title>{props.label}</title>
      <rect x="0" y="0" width={width} height={height} class="map-bg" />
      {grid.length > 0 && !props.roads?.length && <path d={grid.join('')} class="map-grid" />}
      {/* A nested viewport clips the roads to the map (the outer one letterboxes). */}
      <svg x="0" y="0" width={width} height={height} overflow="hidden" aria-hidden="true">
        {roadClasses.slice().reverse().map((cls) => {
          const d = (props.roads ?? []).filter((r) => r.cls === cls).map((r) => {
            const p = proj.project(r.a);
            const q = proj.project(r.b);
            return `M${fmt(p.x)} ${fmt(p.y)}L${fmt(q.x)} ${fmt(q.y)}`;
          }).join('');
          return d ? <path key={cls} class={`map-road map-road-${cls}`} d={d} /> : null;
        })}
      </svg>
      <path d={path} class="map-route-casing" />
      <path d={path} class="map-route" data-testid="route-path" />
      {(props.turns ?? []).slice(1).map((p, i) => {
        const q = proj.project(p);
        return <circle key={i} cx={fmt(q.x)} cy={fmt(q.y)} r="2.5" class="map-turn" />;
      })}
      <circle cx={fmt(a.x)} cy={fmt(a.y)} r="6" class="map-start" />
      <circle cx={fmt(b.x)} cy={fmt(b.y)} r="6" class="map-end" />
      {props.fromLabel && <MarkerLabel x={a.x} y={a.y} other={b.y} width={width} text={props.fromLabel} />}
      {props.toLabel && <MarkerLabel x={b.x} y={b.y} other={a.y} width={width} text={props.toLabel} />}
      <g class="map-scale" transform={`translate(${margin - 8} ${height - 10})`}>
        <path d={`M0 -4V0H${fmt(scaleUnits)}V-4`} />
        <text x={fmt(scaleUnits + 4)} y="0">{scaleM >= 1000 ? `${scaleM / 1000} km` : `${scaleM} m`}</text>
      </g>
      <g class="map-north" transform={`translate(${width - 14} 16)`}>
        <path d="M0 -9L4 3H-4Z" />
        <text x="0" y="13" text-anchor="middle">N</text>
      </g>
    </svg>
  );
}

// A waypoint's name beside its marker: above it unless the other end is above, on the side
// with more room, shortened to stay inside the box.
function MarkerLabel(props: { x: number; y: number; other: number; width: number; text: string }) {
  const short = props.text.length > 18 ? `${props.text.slice(0, 17)}…` : props.text;
  const left = props.x > props.width / 2;
  const dy = props.other < props.y ? 18 : -10;
  return (
    <text x={fmt(props.x + (left ? -9 : 9))} y={fmt(props.y + dy)} text-anchor={left ? 'end' : 'start'} class="map-label" aria-hidden="true">
      {short}
    </text>
  );
}

export function mapLabel(from: string, to: string): string {
  return t('card.map_label', { from, to });
}
