import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatTime } from '../format.js';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  stroke: string;
  /** Dash pattern, so that lines differ in shape and not only in colour. */
  dash?: number[];
}

interface Props {
  title: string;
  /** Epoch seconds of each bucket. */
  x: number[];
  series: ChartSeries[];
  unit: string;
  format(v: number | null): string;
  /** Mark each value with a dot: a lone bucket between empty ones (null) has no line to draw. */
  points?: boolean;
}

const HEIGHT = 200;

/** One uPlot line chart, resized with its container, with the same numbers in a table for keyboard and screen reader users. */
export function TimeChart({ title, x, series, unit, format, points = false }: Props) {
  const holder = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data: uPlot.AlignedData = [x, ...series.map((s) => s.values)];
  const shape = series.map((s) => s.label).join('|');

  useEffect(() => {
    const el = holder.current!;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      // The axis in UTC like every other time on the dashboard (and the reports' days).
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { label: unit, size: 60 }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2, dash: s.dash, value: (_u: uPlot, v: number | null) => format(v), spanGaps: false, points: { show: points, size: 6 } }))],
      legend: { live: true },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change; new numbers go through setData below.
  }, [shape, unit, points]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return (
    <figure class="chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <div ref={holder} class="chart-canvas" />
      <details>
        <summary>{title} as a table</summary>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Time (UTC)</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {x.map((t, i) => (
                <tr key={t}>
                  <td>{formatTime(t * 1000)}</td>
                  {series.map((s) => (
                    <td key={s.label}>{format(s.values[i] ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {x.length === 0 && <p>No data in this window.</p>}
      </details>
    </figure>
  );
}
