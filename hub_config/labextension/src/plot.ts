/**
 * A small inline SVG line plot of the student's final percent per graded assignment, by deadline
 * (x: deadline, y: 0-100). No chart library: a few SVG elements with textContent labels.
 */
const SVG = 'http://www.w3.org/2000/svg';

export interface IPoint {
  label: string; // assignment id, shown as the point's tooltip
  due: string; // ISO date
  value: number; // 0-100
}

export interface IPlotOptions {
  width?: number;
  height?: number;
  /** the axis label under each point ("9/28") */
  tick: (iso: string) => string;
  /** the tooltip of a point */
  describe: (point: IPoint) => string;
  /** accessible name of the whole plot */
  title: string;
}

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: { [key: string]: string | number },
  parent?: Element
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  parent?.appendChild(node);
  return node;
}

export function seriesPlot(points: IPoint[], options: IPlotOptions): SVGSVGElement {
  const width = options.width ?? 360;
  const height = options.height ?? 150;
  const pad = { left: 34, right: 12, top: 10, bottom: 24 };
  const svg = el('svg', {
    class: 'medai-MyCourse-plot',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img'
  });
  el('title', {}, svg).textContent = options.title;
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const y = (v: number) => pad.top + innerH * (1 - Math.min(100, Math.max(0, v)) / 100);

  for (const level of [0, 50, 100]) {
    el('line', { class: 'medai-MyCourse-plotGrid', x1: pad.left, x2: width - pad.right, y1: y(level), y2: y(level) }, svg);
    const label = el('text', { class: 'medai-MyCourse-plotAxis', x: pad.left - 6, y: y(level) + 4, 'text-anchor': 'end' }, svg);
    label.textContent = String(level);
  }

  const sorted = [...points].sort((a, b) => Date.parse(a.due) - Date.parse(b.due));
  if (sorted.length === 0) {
    return svg;
  }
  const t0 = Date.parse(sorted[0].due);
  const t1 = Date.parse(sorted[sorted.length - 1].due);
  const x = (iso: string) =>
    t1 === t0 ? pad.left + innerW / 2 : pad.left + (innerW * (Date.parse(iso) - t0)) / (t1 - t0);

  el(
    'polyline',
    { class: 'medai-MyCourse-plotLine', points: sorted.map(p => `${x(p.due).toFixed(1)},${y(p.value).toFixed(1)}`).join(' ') },
    svg
  );
  let lastTickX = -Infinity;
  let lastTick: SVGTextElement | null = null;
  let lastTickIndex = -1;
  sorted.forEach((p, index) => {
    const cx = x(p.due);
    const dot = el('circle', { class: 'medai-MyCourse-plotPoint', cx: cx.toFixed(1), cy: y(p.value).toFixed(1), r: 3.5 }, svg);
    dot.setAttribute('data-assignment', p.label);
    el('title', {}, dot).textContent = options.describe(p);
    const last = index === sorted.length - 1 && sorted.length > 1;
    if (cx - lastTickX >= 44 || last) {
      if (last && cx - lastTickX < 44) {
        if (lastTickIndex <= 0) {
          return; // keep the first deadline's label
        }
        lastTick?.remove(); // the last deadline's label wins over a crowded neighbour
      }
      const anchor = sorted.length === 1 ? 'middle' : index === 0 ? 'start' : last ? 'end' : 'middle';
      const tick = el('text', { class: 'medai-MyCourse-plotAxis', x: cx.toFixed(1), y: height - 6, 'text-anchor': anchor }, svg);
      tick.textContent = options.tick(p.due);
      lastTickX = cx;
      lastTick = tick;
      lastTickIndex = index;
    }
  });
  return svg;
}
