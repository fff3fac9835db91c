// Slide-ready charts for the native bench report: grouped bar charts written as SVG by hand
// (no chart library needed) and rendered to PNG with resvg (an npm package with a prebuilt
// renderer; the machine's DejaVu fonts are used for text).
import { writeFileSync } from 'node:fs';

export interface Series {
  name: string;
  values: Array<number | undefined>;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  categories: string[];
  series: Series[];
  yLabel: string;
  log?: boolean;
  format?: (v: number) => string;
}

const COLORS = ['#4e79a7', '#e15759', '#f28e2b', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
const FONT = 'DejaVu Sans, Arial, sans-serif';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a >= 1) return `${+v.toPrecision(3)}`;
  return `${+v.toPrecision(2)}`;
}

function niceTicks(max: number): number[] {
  if (max <= 0) return [0, 1];
  const step0 = max / 5;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max * 1.0001 + step / 2; v += step) ticks.push(v);
  return ticks;
}

/** The chart as an SVG document. */
export function barChartSvg(c: BarChart): string {
  const W = 960;
  const H = 540;
  const m = { left: 90, right: 30, top: c.subtitle ? 84 : 64, bottom: 110 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const fmt = c.format ?? compact;
  const all = c.series.flatMap((s) => s.values).filter((v): v is number => v !== undefined && Number.isFinite(v) && (!c.log || v > 0));
  let y: (v: number) => number;
  let ticks: number[];
  if (c.log) {
    const lo = Math.floor(Math.log10(Math.min(...(all.length ? all : [1]))));
    const hi = Math.ceil(Math.log10(Math.max(...(all.length ? all : [10]))));
    const top = hi === lo ? hi + 1 : hi;
    ticks = [];
    for (let e = lo; e <= top; e++) ticks.push(10 ** e);
    y = (v) => m.top + ph - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (top - lo)) * ph;
  } else {
    ticks = niceTicks(Math.max(...(all.length ? all : [1])));
    const max = ticks[ticks.length - 1]!;
    y = (v) => m.top + ph - (v / max) * ph;
  }
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="${FONT}">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="32" text-anchor="middle" font-size="22" font-weight="bold" fill="#222">${esc(c.title)}</text>`);
  if (c.subtitle) out.push(`<text x="${W / 2}" y="56" text-anchor="middle" font-size="14" fill="#555">${esc(c.subtitle)}</text>`);
  for (const t of ticks) {
    const yy = y(t).toFixed(1);
    out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${yy}" y2="${yy}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${m.left - 8}" y="${yy}" dy="4" text-anchor="end" font-size="13" fill="#444">${esc(fmt(t))}</text>`);
  }
  out.push(`<text transform="translate(22 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14" fill="#333">${esc(c.yLabel + (c.log ? ' (log scale)' : ''))}</text>`);
  const groupW = pw / Math.max(1, c.categories.length);
  const barW = Math.min(48, (groupW * 0.8) / Math.max(1, c.series.length));
  c.categories.forEach((cat, i) => {
    const gx = m.left + i * groupW + (groupW - barW * c.series.length) / 2;
    c.series.forEach((s, j) => {
      const v = s.values[i];
      if (v === undefined || !Number.isFinite(v)) return;
      const x = gx + j * barW;
      const yy = y(c.log ? Math.max(v, 1e-12) : v);
      const h = m.top + ph - yy;
      out.push(`<rect x="${x.toFixed(1)}" y="${yy.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"/>`);
      if (barW >= 22) {
        out.push(`<text x="${(x + barW / 2 - 1).toFixed(1)}" y="${(yy - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${esc(fmt(v))}</text>`);
      }
    });
    out.push(`<text x="${(m.left + i * groupW + groupW / 2).toFixed(1)}" y="${m.top + ph + 22}" text-anchor="middle" font-size="14" fill="#222">${esc(cat)}</text>`);
  });
  out.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#888"/>`);
  // Legend below the axis, wrapped in rows.
  let lx = m.left;
  let ly = m.top + ph + 52;
  for (const [j, s] of c.series.entries()) {
    const w = 26 + s.name.length * 7.5 + 18;
    if (lx + w > W - m.right) {
      lx = m.left;
      ly += 22;
    }
    out.push(`<rect x="${lx}" y="${ly - 11}" width="14" height="14" fill="${COLORS[j % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 20}" y="${ly}" font-size="13" fill="#222">${esc(s.name)}</text>`);
    lx += w;
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes `<base>.svg` and, when resvg loads, `<base>.png`; returns the files written. */
export async function writeChart(base: string, c: BarChart): Promise<{ svg: string; png?: string; pngError?: string }> {
  const svg = barChartSvg(c);
  writeFileSync(`${base}.svg`, svg);
  try {
    const { Resvg } = await import('@resvg/resvg-js');
    const png = new Resvg(svg, { fitTo: { mode: 'width', value: 1920 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } })
      .render()
      .asPng();
    writeFileSync(`${base}.png`, png);
    return { svg: `${base}.svg`, png: `${base}.png` };
  } catch (err) {
    return { svg: `${base}.svg`, pngError: (err as Error).message };
  }
}
