// The SVG writer of the benchmark charts: valid standalone SVG, log axes that can show x = 0,
// escaped text, one mark per point or bar.
import { barChart, compactNumber, escapeXml, lineChart } from '../../../benchmarks/harness/svg-chart';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

describe('lineChart', () => {
  const svg = lineChart(
    [
      {
        name: 'turbine',
        points: [
          { x: 0, y: 30_000 },
          { x: 20, y: 25_000 },
          { x: 100, y: 15_000 },
          { x: 1000, y: 1_900 },
        ],
      },
      {
        name: 'kafkajs <main>',
        points: [
          { x: 100, y: 9_000 },
          { x: 1000, y: 950 },
        ],
      },
      { name: 'not run', points: [] },
    ],
    { title: 'Throughput & W', xLabel: 'W', yLabel: 'records/s', xScale: 'log', yScale: 'log' },
  );

  it('is a standalone SVG document', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  });

  it('draws one circle per point and one line per series with two or more points', () => {
    expect(count(svg, /<circle /g)).toBe(6);
    expect(count(svg, /<polyline /g)).toBe(2);
  });

  it('puts x = 0 one decade left of the smallest positive x on a log axis, then one tick per decade', () => {
    const xTicks = [...svg.matchAll(/text-anchor="middle">([^<]+)<\/text>/g)].map((m) => m[1]);
    expect(xTicks.slice(0, 4)).toEqual(['0', '10', '100', '1k']);
  });

  it('escapes titles and series names, and lists every series in the legend', () => {
    expect(svg).toContain('Throughput &amp; W');
    expect(svg).toContain('kafkajs &lt;main&gt;');
    expect(svg).toContain('>not run</text>');
    expect(svg).not.toContain('<main>');
  });

  it('keeps every coordinate inside the canvas', () => {
    for (const [, cx, cy] of svg.matchAll(/cx="([\d.-]+)" cy="([\d.-]+)"/g)) {
      expect(Number(cx)).toBeGreaterThanOrEqual(0);
      expect(Number(cx)).toBeLessThanOrEqual(820);
      expect(Number(cy)).toBeGreaterThanOrEqual(0);
      expect(Number(cy)).toBeLessThanOrEqual(420);
    }
  });

  it('puts larger values higher on the y axis', () => {
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    // turbine's points in x order: 30k, 25k, 15k, 1.9k → y grows downwards.
    expect(ys.slice(0, 4)).toEqual([...ys.slice(0, 4)].sort((a, b) => a - b));
  });
});

describe('lineChart styles', () => {
  it('gives series with one colour key one colour, and draws dashed series dashed', () => {
    const svg = lineChart(
      [
        {
          name: 'turbine (partition)',
          colorKey: 'turbine',
          points: [
            { x: 0, y: 10 },
            { x: 100, y: 5 },
          ],
        },
        {
          name: 'turbine (key)',
          colorKey: 'turbine',
          dashed: true,
          points: [
            { x: 0, y: 9 },
            { x: 100, y: 4 },
          ],
        },
        {
          name: 'peer',
          points: [
            { x: 0, y: 8 },
            { x: 100, y: 3 },
          ],
        },
      ],
      { title: 't', xLabel: 'x', yLabel: 'y', xScale: 'log', yScale: 'log' },
    );
    const strokes = [...svg.matchAll(/<polyline [^>]*stroke="(#[0-9a-f]+)"/g)].map((m) => m[1]);
    expect(strokes[0]).toBe(strokes[1]);
    expect(strokes[2]).not.toBe(strokes[0]);
    expect(count(svg, /<polyline [^>]*stroke-dasharray/g)).toBe(1);
  });
});

describe('barChart', () => {
  it('draws one bar per non-null value and names each category', () => {
    const svg = barChart(
      [
        { name: 'p50', values: [2, 3, null] },
        { name: 'p99', values: [12, 40, 80] },
      ],
      { title: 'Latency', yLabel: 'ms', categories: ['W=0', 'W=100', 'W=1000'], yScale: 'log' },
    );
    expect(count(svg, /<rect x=/g)).toBe(5 + 2); // 5 bars + 2 legend swatches
    for (const c of ['W=0', 'W=100', 'W=1000']) expect(svg).toContain(`>${c}</text>`);
  });
});

describe('text helpers', () => {
  it('formats axis numbers compactly', () => {
    expect(compactNumber(950)).toBe('950');
    expect(compactNumber(1000)).toBe('1k');
    expect(compactNumber(12_500)).toBe('12.5k');
    expect(compactNumber(2_000_000)).toBe('2M');
  });

  it('escapes the XML special characters', () => {
    expect(escapeXml('a<b>&"c"')).toBe('a&lt;b&gt;&amp;&quot;c&quot;');
  });
});
