import { useId } from 'react';

export interface ChartSeries {
  key: string;
  label: string;
  /** Oldest first, one per sample; null where the figure was unknown (nothing observed). */
  values: (number | null)[];
  /** Colours the series (`.series-<name>` in styles.css: the CSP allows no inline styles). */
  tone: string;
}

/** 1, 2 or 5 times a power of ten, at least `n` (an axis maximum that reads well). */
export function niceCeiling(n: number): number {
  if (!(n > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(n));
  for (const step of [1, 2, 5, 10]) if (step * power >= n) return step * power;
  return 10 * power;
}

const pad = { left: 58, right: 10, top: 10, bottom: 20 };

/**
 * A small time-series chart in SVG: lines, or stacked areas (parts of a whole, such as ballots/s
 * by outcome). The newest sample is at the right edge and a slot is one sample, so a chart fills
 * from the right as frames arrive. For screen readers the SVG is an image named by the title and
 * described by the latest values; the legend repeats them as text.
 */
export function TimeChart({
  title,
  series,
  slots,
  span,
  stacked = false,
  format,
  testId,
  width = 640,
  height = 170,
}: {
  title: string;
  series: ChartSeries[];
  /** Samples across the chart's width (e.g. 300: five minutes at one a second). */
  slots: number;
  /** What the width covers, for the axis: "5 min". */
  span: string;
  stacked?: boolean;
  format: (n: number) => string;
  testId?: string;
  /** The drawing's own units: text is 11 of them high, so a chart drawn smaller keeps it readable. */
  width?: number;
  height?: number;
}) {
  const W = width;
  const H = height;
  const id = useId();
  const length = Math.max(0, ...series.map((s) => s.values.length));
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const step = plotW / Math.max(1, slots - 1);
  const x = (i: number) => pad.left + plotW - (length - 1 - i) * step;

  // Stacked: each series sits on the sum of the ones before it.
  const tops: number[][] = [];
  const base = new Array<number>(length).fill(0);
  for (const s of series) {
    const top = s.values.map((v, i) => (stacked ? base[i]! + (v ?? 0) : (v ?? 0)));
    tops.push(top);
    if (stacked) top.forEach((v, i) => (base[i] = v));
  }
  // Headroom above the highest value: a line never runs along the top edge.
  const max = niceCeiling(Math.max(0, ...tops.flat()) * 1.1);
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;

  const latest = series.map((s) => ({ label: s.label, value: s.values.at(-1) ?? null }));
  const description = latest.map((l) => `${l.label} ${l.value === null ? 'no data' : format(l.value)}`).join(', ');

  const shapes = series.map((s, k) => {
    const top = tops[k]!;
    if (stacked) {
      const below = k === 0 ? new Array<number>(length).fill(0) : tops[k - 1]!;
      if (length < 2) return null;
      const upper = top.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
      const lower = below.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).reverse();
      return <polygon key={s.key} className={`chart-area series-${s.tone}`} points={[...upper, ...lower].join(' ')} />;
    }
    // A line breaks where the value is unknown.
    const runs: [number, number][][] = [];
    let run: [number, number][] = [];
    s.values.forEach((v, i) => {
      if (v === null) {
        if (run.length) runs.push(run);
        run = [];
      } else run.push([x(i), y(v)]);
    });
    if (run.length) runs.push(run);
    return (
      <g key={s.key} className={`chart-line series-${s.tone}`}>
        {runs.map((points, j) =>
          points.length > 1 ? (
            <polyline key={j} points={points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')} />
          ) : (
            <circle key={j} r="2.5" cx={points[0]![0]} cy={points[0]![1]} />
          ),
        )}
      </g>
    );
  });

  return (
    <figure className="chart" data-testid={testId}>
      <figcaption className="chart-title" id={`${id}-t`}>
        {title}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${id}-t ${id}-d`} className="chart-svg">
        <desc id={`${id}-d`}>Now: {description || 'no data yet'}.</desc>
        {[0, 0.5, 1].map((f) => (
          <g key={f} className="chart-grid">
            <line x1={pad.left} x2={W - pad.right} y1={y(max * f)} y2={y(max * f)} />
            <text x={pad.left - 6} y={y(max * f) + 4} textAnchor="end">
              {format(max * f)}
            </text>
          </g>
        ))}
        <g className="chart-axis">
          <text x={pad.left} y={H - 4}>
            {span} ago
          </text>
          <text x={W - pad.right} y={H - 4} textAnchor="end">
            now
          </text>
        </g>
        {shapes}
      </svg>
      <ul className="chart-legend">
        {series.map((s, k) => (
          <li key={s.key}>
            <svg className={`chart-swatch series-${s.tone}`} viewBox="0 0 10 10" aria-hidden="true">
              <rect width="10" height="10" rx="2" />
            </svg>
            {s.label} <strong>{latest[k]!.value === null ? '–' : format(latest[k]!.value!)}</strong>
          </li>
        ))}
      </ul>
    </figure>
  );
}
