/**
 * A live line chart (Chart.js) of a few series sampled over time, as RabbitMQ's overview charts:
 * the caller passes the samples; the chart keeps one Chart instance and updates it in place.
 * The canvas carries `data-samples` (how many points it shows) for the browser test.
 */
import { CategoryScale, Chart, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip, Filler);

export interface Series {
  label: string;
  color: string;
  values: readonly number[];
}

export function LiveChart({ title, labels, series, unit }: { title: string; labels: readonly string[]; series: readonly Series[]; unit: string }): JSX.Element {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'line'> | null>(null);

  useEffect(() => {
    const el = canvas.current;
    if (el === null) return;
    const c = new Chart(el, {
      type: 'line',
      data: { labels: [], datasets: [] },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 2, cubicInterpolationMode: 'monotone' } },
        scales: {
          x: { ticks: { maxTicksLimit: 6, maxRotation: 0 }, grid: { display: false } },
          y: { beginAtZero: true, title: { display: true, text: unit }, ticks: { precision: 0 } },
        },
        plugins: { legend: { position: 'right', labels: { boxWidth: 12 } } },
      },
    });
    chart.current = c;
    return () => {
      c.destroy();
      chart.current = null;
    };
  }, [unit]);

  useEffect(() => {
    const c = chart.current;
    if (c === null) return;
    c.data.labels = [...labels];
    c.data.datasets = series.map((s) => ({
      label: s.label,
      data: [...s.values],
      borderColor: s.color,
      backgroundColor: s.color + '22',
      fill: false,
    }));
    c.update('none');
  }, [labels, series]);

  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${title} chart`} data-samples={labels.length} />
      </div>
    </figure>
  );
}
