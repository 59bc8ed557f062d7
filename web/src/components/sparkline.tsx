/** A small line chart of recent values; the numbers are in the label for screen readers. */
export function Sparkline({
  values,
  label,
  width = 240,
  height = 48,
}: {
  values: number[];
  label: string;
  width?: number;
  height?: number;
}) {
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? width / (values.length - 1) : width;
  const points = values.map(
    (v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 4) - 2).toFixed(1)}`,
  );
  return (
    <svg
      className="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      preserveAspectRatio="none"
    >
      <line x1="0" y1={height - 1} x2={width} y2={height - 1} className="sparkline-base" />
      {values.length > 1 ? <polyline points={points.join(' ')} className="sparkline-line" /> : null}
    </svg>
  );
}
