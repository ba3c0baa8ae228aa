/** Small form pieces the views share: every control has a visible label and works from the keyboard. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import type { AppSummary } from './source.js';
import { addDays, daysBetween } from './time.js';

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p class="error" role="alert">
      {message}
    </p>
  );
}

/** Runs async work for a view: its result, whether it is running, its error; stale answers are dropped. */
export function useTask<T>() {
  const [state, setState] = useState<{ value?: T; busy: boolean; error?: unknown }>({ busy: false });
  const seq = useRef(0);
  const run = useCallback(async (work: () => Promise<T>) => {
    const mine = ++seq.current;
    setState((s) => ({ value: s.value, busy: true }));
    try {
      const value = await work();
      if (mine === seq.current) setState({ value, busy: false });
      return value;
    } catch (error) {
      if (mine === seq.current) setState({ busy: false, error });
      return undefined;
    }
  }, []);
  return { ...state, run };
}

export function AppPicker({
  apps,
  appId,
  onChange,
}: {
  apps: readonly AppSummary[];
  appId: string;
  onChange: (appId: string) => void;
}) {
  const id = useId();
  if (apps.length <= 1) return null;
  return (
    <div class="field">
      <label for={id}>Application</label>
      <select id={id} value={appId} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {apps.map((a) => (
          <option key={a.appId} value={a.appId}>
            {a.name} ({a.appId}){a.enabled ? '' : ' – disabled'}
          </option>
        ))}
      </select>
    </div>
  );
}

export function DateRange({
  start,
  end,
  maxDays,
  onChange,
}: {
  start: string;
  end: string;
  maxDays: number;
  onChange: (start: string, end: string) => void;
}) {
  const a = useId();
  const b = useId();
  const span = daysBetween(start, end) + 1;
  return (
    <div class="field-row">
      <div class="field">
        <label for={a}>From</label>
        <input id={a} type="date" value={start} required onChange={(e) => onChange((e.target as HTMLInputElement).value, end)} />
      </div>
      <div class="field">
        <label for={b}>To</label>
        <input
          id={b}
          type="date"
          value={end}
          min={start}
          max={addDays(start, maxDays - 1)}
          required
          onChange={(e) => onChange(start, (e.target as HTMLInputElement).value)}
        />
      </div>
      <p class="hint">{span > 0 ? `${span} day${span === 1 ? '' : 's'} (at most ${maxDays})` : 'the end is before the start'}</p>
    </div>
  );
}

/** A labelled group of checkboxes with select-all and clear, and a filter when the list is long. */
export function CheckList({
  legend,
  options,
  selected,
  onChange,
  name,
}: {
  legend: string;
  options: readonly { value: string; label?: string }[];
  selected: ReadonlySet<string>;
  onChange: (next: Set<string>) => void;
  name: string;
}) {
  const [filter, setFilter] = useState('');
  const filterId = useId();
  const shown = filter ? options.filter((o) => (o.label ?? o.value).toLowerCase().includes(filter.toLowerCase())) : options;
  const toggle = (v: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(v);
    else next.delete(v);
    onChange(next);
  };
  return (
    <fieldset class="checklist">
      <legend>
        {legend}{' '}
        <span class="hint">
          ({selected.size} of {options.length} chosen)
        </span>
      </legend>
      {options.length > 8 && (
        <div class="field">
          <label for={filterId}>Filter {legend.toLowerCase()}</label>
          <input id={filterId} type="search" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
        </div>
      )}
      <div class="checklist-actions">
        <button type="button" onClick={() => onChange(new Set([...selected, ...shown.map((o) => o.value)]))}>
          Choose all{filter ? ' shown' : ''}
        </button>
        <button type="button" onClick={() => onChange(new Set())}>
          Clear
        </button>
      </div>
      <ul class="checklist-items">
        {shown.map((o) => (
          <li key={o.value}>
            <label>
              <input
                type="checkbox"
                name={name}
                value={o.value}
                checked={selected.has(o.value)}
                onChange={(e) => toggle(o.value, (e.target as HTMLInputElement).checked)}
              />{' '}
              {o.label ?? o.value}
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}

export function Section({
  title,
  children,
  actions,
}: {
  title: string;
  children: ComponentChildren;
  actions?: ComponentChildren;
}) {
  return (
    <section class="panel" aria-label={title}>
      <header class="panel-head">
        <h2>{title}</h2>
        {actions && <div class="panel-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/** Calls `tick` now and every `ms` while mounted and not paused. */
export function useInterval(tick: () => void, ms: number, paused: boolean) {
  const ref = useRef(tick);
  ref.current = tick;
  useEffect(() => {
    if (paused) return;
    ref.current();
    const t = setInterval(() => ref.current(), ms);
    return () => clearInterval(t);
  }, [ms, paused]);
}

export const formatInt = (n: number) => n.toLocaleString('en-US');
