/**
 * A small SVG chart writer for benchmarks/RESULTS.md: line charts with linear or log axes (a log
 * x axis can still show x = 0, drawn one decade left of the smallest positive x and labelled "0")
 * and grouped bar charts. Pure string building, no dependencies; unit-tested.
 */

export interface ChartPoint {
  x: number;
  y: number;
}

export interface LineSeries {
  name: string;
  points: readonly ChartPoint[];
  /** Series with the same colour key share a colour (default: the name). */
  colorKey?: string;
  /** Drawn dashed (for example key order next to the solid partition order). */
  dashed?: boolean;
}

export type AxisScale = 'linear' | 'log';

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  xScale: AxisScale;
  yScale: AxisScale;
  width?: number;
  height?: number;
}

export interface BarSeries {
  name: string;
  /** One value per category; null leaves a gap. */
  values: ReadonlyArray<number | null>;
}

export interface BarChartOptions {
  title: string;
  yLabel: string;
  categories: readonly string[];
  yScale: AxisScale;
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];
const MARGIN = { left: 70, right: 240, top: 40, bottom: 50 };

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** 1200 → "1.2k", 2500000 → "2.5M"; below 1000 up to 3 significant digits. */
export function compactNumber(value: number): string {
  const abs = Math.abs(value);
  const trim = (n: number) => String(Number(n.toPrecision(3)));
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e3) return `${trim(value / 1e3)}k`;
  return trim(value);
}

interface Axis {
  /** Maps a data value to [0, 1]. */
  map(value: number): number;
  ticks: Array<{ value: number; label: string }>;
}

function niceStep(span: number): number {
  const raw = span / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function linearAxis(values: readonly number[]): Axis {
  const max = Math.max(...values, 0);
  const min = Math.min(...values, 0);
  const step = niceStep(max - min || 1);
  const lo = Math.floor(min / step) * step;
  const hi = Math.ceil(max / step) * step || step;
  const ticks: Axis['ticks'] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push({ value: v, label: compactNumber(v) });
  return { map: (v) => (v - lo) / (hi - lo), ticks };
}

/** Log axis over the positive values; with `showZero`, 0 sits one decade below the smallest. */
function logAxis(values: readonly number[], showZero: boolean): Axis {
  const positive = values.filter((v) => v > 0);
  const minPositive = positive.length > 0 ? Math.min(...positive) : 1;
  const maxValue = positive.length > 0 ? Math.max(...positive) : 10;
  let lo = Math.floor(Math.log10(minPositive));
  const hi = Math.max(Math.ceil(Math.log10(maxValue)), lo + 1);
  const hasZero = showZero && values.some((v) => v <= 0);
  const zeroAt = lo - 1;
  if (hasZero) lo = zeroAt;
  const ticks: Axis['ticks'] = [];
  for (let e = lo; e <= hi; e++) {
    if (hasZero && e === zeroAt) ticks.push({ value: 0, label: '0' });
    else ticks.push({ value: 10 ** e, label: compactNumber(10 ** e) });
  }
  const map = (v: number) => {
    const exponent = v > 0 ? Math.log10(v) : zeroAt;
    return (exponent - lo) / (hi - lo);
  };
  return { map, ticks };
}

function axisFor(scale: AxisScale, values: readonly number[], showZero: boolean): Axis {
  return scale === 'log' ? logAxis(values, showZero) : linearAxis(values);
}

function frame(width: number, height: number, title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function yAxisLines(axis: Axis, plotW: number, plotH: number, label: string): string[] {
  const out: string[] = [];
  for (const tick of axis.ticks) {
    const y = MARGIN.top + plotH - axis.map(tick.value) * plotH;
    out.push(
      `<line x1="${MARGIN.left}" y1="${y.toFixed(1)}" x2="${MARGIN.left + plotW}" y2="${y.toFixed(1)}" stroke="#e0e0e0"/>`,
      `<text x="${MARGIN.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${escapeXml(tick.label)}</text>`,
    );
  }
  const midY = MARGIN.top + plotH / 2;
  out.push(
    `<text x="16" y="${midY}" text-anchor="middle" transform="rotate(-90 16 ${midY})">${escapeXml(label)}</text>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#000"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#000"/>`,
  );
  return out;
}

interface LegendEntry {
  name: string;
  color: string;
  dashed?: boolean;
}

function legend(entries: readonly LegendEntry[], x: number, asLines: boolean): string[] {
  return entries.flatMap((entry, i) => {
    const y = MARGIN.top + 10 + i * 18;
    const dash = entry.dashed ? ' stroke-dasharray="5,3"' : '';
    const swatch = asLines
      ? `<line x1="${x}" y1="${y - 3}" x2="${x + 16}" y2="${y - 3}" stroke="${entry.color}" stroke-width="2.5"${dash}/>`
      : `<rect x="${x}" y="${y - 9}" width="12" height="12" fill="${entry.color}"/>`;
    return [swatch, `<text x="${x + 22}" y="${y + 1}">${escapeXml(entry.name)}</text>`];
  });
}

/** A line chart; series with no points still get a legend entry. */
export function lineChart(series: readonly LineSeries[], o: LineChartOptions): string {
  const width = o.width ?? 820;
  const height = o.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const xAxis = axisFor(o.xScale, xs.length > 0 ? xs : [0, 1], true);
  const yAxis = axisFor(o.yScale, ys.length > 0 ? ys : [1, 10], false);
  const px = (x: number) => MARGIN.left + xAxis.map(x) * plotW;
  const py = (y: number) => MARGIN.top + plotH - yAxis.map(y) * plotH;
  const body = yAxisLines(yAxis, plotW, plotH, o.yLabel);
  for (const tick of xAxis.ticks) {
    const x = px(tick.value);
    body.push(
      `<line x1="${x.toFixed(1)}" y1="${MARGIN.top + plotH}" x2="${x.toFixed(1)}" y2="${MARGIN.top + plotH + 5}" stroke="#000"/>`,
      `<text x="${x.toFixed(1)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escapeXml(tick.label)}</text>`,
    );
  }
  body.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`,
  );
  const colorKeys = [...new Set(series.map((s) => s.colorKey ?? s.name))];
  const colorOf = (s: LineSeries) => PALETTE[colorKeys.indexOf(s.colorKey ?? s.name) % PALETTE.length]!;
  for (const s of series) {
    const color = colorOf(s);
    const points = [...s.points].filter((p) => o.yScale === 'linear' || p.y > 0).sort((a, b) => a.x - b.x);
    if (points.length > 1) {
      const path = points.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
      const dash = s.dashed ? ' stroke-dasharray="6,4"' : '';
      body.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dash}/>`);
    }
    for (const p of points) {
      body.push(
        `<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${s.name}: ${compactNumber(p.y)} at ${p.x}`)}</title></circle>`,
      );
    }
  }
  const entries = series.map((s) => ({ name: s.name, color: colorOf(s), ...(s.dashed ? { dashed: true } : {}) }));
  body.push(...legend(entries, width - MARGIN.right + 15, true));
  return frame(width, height, o.title, body);
}

/** Grouped bars: one group per category, one bar per series. */
export function barChart(series: readonly BarSeries[], o: BarChartOptions): string {
  const width = o.width ?? 820;
  const height = o.height ?? 420;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const yAxis = axisFor(o.yScale, values.length > 0 ? values : [1, 10], false);
  const base = o.yScale === 'log' ? yAxis.ticks[0]!.value : 0;
  const body = yAxisLines(yAxis, plotW, plotH, o.yLabel);
  const groupW = plotW / Math.max(1, o.categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  o.categories.forEach((category, c) => {
    const gx = MARGIN.left + c * groupW;
    body.push(
      `<text x="${(gx + groupW / 2).toFixed(1)}" y="${MARGIN.top + plotH + 18}" text-anchor="middle">${escapeXml(category)}</text>`,
    );
    series.forEach((s, i) => {
      const v = s.values[c];
      if (v === null || v === undefined || (o.yScale === 'log' && v <= 0)) return;
      const top = MARGIN.top + plotH - yAxis.map(v) * plotH;
      const bottom = MARGIN.top + plotH - yAxis.map(base) * plotH;
      const x = gx + groupW * 0.1 + i * barW;
      body.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0, bottom - top).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${s.name} ${category}: ${compactNumber(v)}`)}</title></rect>`,
      );
    });
  });
  const entries = series.map((s, i) => ({ name: s.name, color: PALETTE[i % PALETTE.length]! }));
  body.push(...legend(entries, width - MARGIN.right + 15, false));
  return frame(width, height, o.title, body);
}
