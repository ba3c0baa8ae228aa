/**
 * A per-minute curve drawn by uPlot (canvas, made for large time series: a quarter is ~132,000 points per series and
 * uPlot draws one path per series, thinned to the pixels). Times on the axis and in the legend are the deployment's
 * local times. Zoom by dragging across the plot or with the labelled buttons (or + - ← → Home on the focused plot),
 * from the whole range down to single minutes; peaks are marked with a ring and their value.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { duration, label, local } from './time.js';

export interface ChartSeries {
  label: string;
  values: ArrayLike<number>;
  color: string;
  /** the peak to mark: epoch ms and value */
  peak?: { at: number; value: number } | undefined;
}

export interface ChartProps {
  /** epoch ms of values[0]; one value per minute */
  from: number;
  minutes: number;
  series: ChartSeries[];
  timeZone: string;
  /** what the plot shows, for assistive technology */
  title: string;
  height?: number;
  /** a window to zoom to (epoch ms); a new object zooms again */
  focus?: { min: number; max: number } | undefined;
  /** the visible window (epoch ms) after every zoom */
  onView?: (view: { min: number; max: number }) => void;
}

const MIN_SPAN_S = 2 * 60;

export function Chart({ from, minutes, series, timeZone, title, height = 320, focus, onView }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const [view, setView] = useState<{ min: number; max: number } | undefined>();
  const onViewRef = useRef(onView);
  onViewRef.current = onView;

  const first = from / 1000;
  const last = first + Math.max(0, minutes - 1) * 60;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const started = performance.now();
    let drawn = false;
    const xs = new Float64Array(minutes);
    for (let i = 0; i < minutes; i++) xs[i] = first + i * 60;
    const data: uPlot.AlignedData = [xs, ...series.map((s) => s.values as unknown as number[])];
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
      cursor: { drag: { x: true, y: false, setScale: true } },
      scales: { x: { time: true } },
      legend: { live: true },
      series: [
        { label: 'time', value: (_u, v) => (v == null ? '' : label(v * 1000, timeZone)) },
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, points: { show: false } })),
      ],
      axes: [{ values: timeTicks(timeZone), space: 60 }, { size: 56 }],
      hooks: {
        draw: [
          (u) => {
            markPeaks(u, series);
            // timings for bench/dashboard.ts: the first draw, its frame on screen, and the end of every redraw
            const now = performance.now();
            el.dataset.drawnAt = now.toFixed(1);
            if (!drawn) {
              drawn = true;
              el.dataset.drawMs = (now - started).toFixed(1);
              performance.measure('ccv:chart-draw', { start: started, end: now });
              requestAnimationFrame(() =>
                requestAnimationFrame(() => {
                  el.dataset.frameMs = (performance.now() - started).toFixed(1);
                }),
              );
            }
          },
        ],
        setScale: [
          (u, key) => {
            if (key !== 'x') return;
            const v = { min: (u.scales.x?.min ?? first) * 1000, max: (u.scales.x?.max ?? last) * 1000 };
            setView(v);
            onViewRef.current?.(v);
          },
        ],
      },
    };
    const u = new uPlot(opts, data, el);
    plot.current = u;
    const resize = new ResizeObserver(() => u.setSize({ width: Math.max(280, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [series, minutes, first, timeZone, height]);

  useEffect(() => {
    if (focus && plot.current) zoomTo(focus.min / 1000, focus.max / 1000);
  }, [focus]);

  function zoomTo(min: number, max: number) {
    const u = plot.current;
    if (!u) return;
    let lo = Math.max(first, min);
    let hi = Math.min(last, max);
    if (hi - lo < MIN_SPAN_S) {
      const mid = (lo + hi) / 2;
      lo = Math.max(first, mid - MIN_SPAN_S / 2);
      hi = Math.min(last, lo + MIN_SPAN_S);
    }
    u.setScale('x', { min: lo, max: hi });
  }
  const current = () => {
    const x = plot.current?.scales.x;
    return { min: x?.min ?? first, max: x?.max ?? last };
  };
  const zoom = (factor: number) => {
    const { min, max } = current();
    const mid = (min + max) / 2;
    const half = ((max - min) * factor) / 2;
    zoomTo(mid - half, mid + half);
  };
  const pan = (share: number) => {
    const { min, max } = current();
    const by = (max - min) * share;
    const shift = by < 0 ? Math.max(by, first - min) : Math.min(by, last - max);
    zoomTo(min + shift, max + shift);
  };
  const whole = () => zoomTo(first, last);
  const onKey = (e: KeyboardEvent) => {
    const act: Record<string, () => void> = {
      '+': () => zoom(0.5),
      '=': () => zoom(0.5),
      '-': () => zoom(2),
      ArrowLeft: () => pan(-0.5),
      ArrowRight: () => pan(0.5),
      Home: whole,
    };
    const f = act[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  const shown = view ?? { min: from, max: last * 1000 };
  return (
    <figure class="chart" aria-label={title}>
      <div class="chart-tools" role="toolbar" aria-label="zoom">
        <button type="button" onClick={whole}>
          Whole range
        </button>
        <button type="button" onClick={() => zoom(0.5)} aria-label="Zoom in">
          Zoom in
        </button>
        <button type="button" onClick={() => zoom(2)} aria-label="Zoom out">
          Zoom out
        </button>
        <button type="button" onClick={() => pan(-0.5)} aria-label="Earlier">
          ← Earlier
        </button>
        <button type="button" onClick={() => pan(0.5)} aria-label="Later">
          Later →
        </button>
        <span class="chart-window" aria-live="polite">
          {label(shown.min, timeZone)} – {label(shown.max, timeZone)} ({duration(shown.max - shown.min + 60_000)})
        </span>
      </div>
      <div
        class="chart-plot"
        ref={host}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the plot takes the zoom keys when focused
        tabIndex={0}
        role="application"
        aria-roledescription="chart"
        aria-label={`${title}. Keys: + and - zoom, arrows move, Home shows the whole range.`}
        onKeyDown={onKey}
      />
    </figure>
  );
}

/** Tick labels in the deployment's zone, 24-hour: HH:mm, with the day under the first tick of each day. */
function timeTicks(timeZone: string) {
  return (_u: uPlot, splits: number[], _axis: number, _space: number, incr: number) => {
    let day = '';
    return splits.map((s) => {
      const l = local(s * 1000, timeZone);
      const md = l.day.slice(5);
      if (incr >= 86_400) return md;
      const first = l.day !== day;
      day = l.day;
      return first ? `${l.minute}\n${md}` : l.minute;
    });
  };
}

/** A ring and the value at each series' peak, when the peak is inside the visible window. */
function markPeaks(u: uPlot, series: readonly ChartSeries[]) {
  const ctx = u.ctx;
  const dpr = devicePixelRatio || 1;
  series.forEach((s, i) => {
    if (!s.peak || u.series[i + 1]?.show === false) return;
    const x = s.peak.at / 1000;
    const { min = 0, max = 0 } = u.scales.x ?? {};
    if (x < min || x > max) return;
    const cx = u.valToPos(x, 'x', true);
    const cy = u.valToPos(s.peak.value, 'y', true);
    ctx.save();
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 2 * dpr;
    ctx.beginPath();
    ctx.arc(cx, cy, 6 * dpr, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = s.color;
    ctx.font = `${12 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = cx > u.bbox.left + u.bbox.width - 80 * dpr ? 'right' : 'left';
    ctx.fillText(`peak ${s.peak.value}`, cx + (ctx.textAlign === 'right' ? -10 : 10) * dpr, Math.max(cy - 8 * dpr, 14 * dpr));
    ctx.restore();
  });
}

const PALETTE = ['#7c3aed', '#db2777', '#0891b2', '#ca8a04', '#4b5563'];
const KNOWN: Record<string, string> = { cdn: '#2563eb', rtc: '#ea580c', p2p: '#16a34a', all: '#111827' };
export function colorOf(key: string, index = 0): string {
  return KNOWN[key] ?? PALETTE[index % PALETTE.length]!;
}
