/**
 * Peak across accounts: the seed endpoint, seen. Users of an application, days and pull types in; the summed
 * per-minute curve out, its peak marked (the summary API's peakCCV and statAt), and each user's share of the peak
 * minute.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart, colorOf } from '../chart.js';
import { download } from '../csv.js';
import type { CurvesData, SettingsData, Source } from '../source.js';
import { label, minuteLabels } from '../time.js';
import { CheckList, DateRange, ErrorBox, formatInt, Section, useTask } from '../ui.js';

/** The days a view asks for, shared by the views while signed in. */
export interface RangeState {
  start: string;
  end: string;
}

/** What every curve view is given by the shell. */
export interface CurveViewProps {
  source: Source;
  settings: SettingsData;
  appId: string;
  range: RangeState;
  onRange: (r: RangeState) => void;
}

export function PeakView({ source, settings, appId, range, onRange }: CurveViewProps) {
  const accounts = useTask<string[]>();
  // the answer carries its question, so what is shown always belongs together
  const curve = useTask<{ data: CurvesData; asked: { users: string[]; pullTypes: Set<string>; start: string; end: string } }>();
  const [users, setUsers] = useState<Set<string>>(new Set());
  const [pullTypes, setPullTypes] = useState<Set<string>>(new Set(settings.pullTypes));
  const [focus, setFocus] = useState<{ min: number; max: number }>();
  const [view, setView] = useState<{ min: number; max: number }>();

  useEffect(() => {
    setUsers(new Set());
    void accounts.run(async () => {
      const a = await source.accounts(appId);
      const ids = a.users.map((u) => u.userId);
      setUsers(new Set(ids));
      return ids;
    });
  }, [source, appId]);

  const submit = (e: Event) => {
    e.preventDefault();
    const chosen = [...users];
    const types = new Set(pullTypes);
    const one = types.size === 1 ? [...types][0] : undefined;
    const asked = { users: chosen, pullTypes: types, start: range.start, end: range.end };
    void curve.run(async () => ({ data: await source.usersCurve(appId, chosen, { ...range, pullType: one }), asked }));
  };

  const data = curve.value?.data;
  const asked = curve.value?.asked;
  useEffect(() => setView(undefined), [data]);
  const shown = useMemo(() => (data && asked ? data.series.filter((s) => asked.pullTypes.has(s.pullType)) : []), [data, asked]);
  const chartSeries = useMemo(
    () =>
      shown.map((s, i) => ({
        label: s.pullType,
        values: s.values,
        color: colorOf(s.pullType, i),
        peak: { at: s.statAt, value: Number(s.peakCCV) },
      })),
    [shown],
  );

  const downloadCurve = () => {
    if (!data) return;
    const lo = Math.max(0, Math.ceil(((view?.min ?? data.from) - data.from) / 60_000));
    const hi = Math.min(data.minutes - 1, Math.floor(((view?.max ?? Number.POSITIVE_INFINITY) - data.from) / 60_000));
    const labels = minuteLabels(data.from + lo * 60_000, hi - lo + 1, data.timeZone);
    const rows = labels.map((l, k) => [l.day, l.minute, ...shown.map((s) => s.values[lo + k] ?? 0)]);
    download(`peak-${appId}-${asked?.start}-${asked?.end}.csv`, ['day', 'minute', ...shown.map((s) => s.pullType)], rows);
  };
  const downloadShares = () => {
    if (!data) return;
    const rows = shown.flatMap((s) =>
      s.shares.map((x) => [s.pullType, label(s.statAt, data.timeZone), s.statAt, x.id, x.viewers, s.peakCCV]),
    );
    download(
      `peak-shares-${appId}-${asked?.start}-${asked?.end}.csv`,
      ['pullType', 'peakAt', 'statAt', 'userId', 'viewers', 'peakCCV'],
      rows,
    );
  };

  return (
    <div class="view">
      <Section title="Peak across accounts">
        <form class="query" onSubmit={submit} aria-label="peak query">
          {accounts.error ? (
            <ErrorBox error={accounts.error} />
          ) : (
            <CheckList
              legend="Users"
              name="users"
              options={(accounts.value ?? []).map((u) => ({ value: u }))}
              selected={users}
              onChange={setUsers}
            />
          )}
          <div class="query-side">
            <DateRange
              start={range.start}
              end={range.end}
              maxDays={settings.maxDays}
              onChange={(start, end) => onRange({ start, end })}
            />
            <CheckList
              legend="Pull types"
              name="pullTypes"
              options={settings.pullTypes.map((p) => ({ value: p }))}
              selected={pullTypes}
              onChange={setPullTypes}
            />
            <button type="submit" class="primary" disabled={users.size === 0 || pullTypes.size === 0 || curve.busy}>
              {curve.busy ? 'Loading…' : 'Show peak'}
            </button>
          </div>
        </form>
        <ErrorBox error={curve.error} />
      </Section>

      {data && asked && (
        <Section
          title="Summed CCV per minute"
          actions={
            <>
              <button type="button" onClick={downloadCurve}>
                Download curve (CSV)
              </button>
              <button type="button" onClick={downloadShares} disabled={shown.length === 0}>
                Download shares (CSV)
              </button>
            </>
          }
        >
          <ul class="peaks" aria-label="peaks">
            {shown.length === 0 && <li class="hint">Nobody watched these users' channels in this range.</li>}
            {shown.map((s, i) => (
              <li key={s.pullType} class="peak-card" data-pull-type={s.pullType} data-peak={s.peakCCV} data-stat-at={s.statAt}>
                <span class="swatch" style={{ background: colorOf(s.pullType, i) }} />
                <strong>{s.pullType}</strong> peak <strong class="peak-value">{formatInt(Number(s.peakCCV))}</strong> at{' '}
                <time dateTime={new Date(s.statAt).toISOString()}>{label(s.statAt, data.timeZone)}</time>{' '}
                <button type="button" onClick={() => setFocus({ min: s.statAt - 30 * 60_000, max: s.statAt + 30 * 60_000 })}>
                  Zoom to {s.pullType} peak
                </button>
              </li>
            ))}
          </ul>
          {shown.length > 0 && (
            <Chart
              from={data.from}
              minutes={data.minutes}
              series={chartSeries}
              timeZone={data.timeZone}
              title={`Summed CCV per minute of ${asked.users.length} users, ${asked.start} to ${asked.end} (${data.timeZone})`}
              focus={focus}
              onView={setView}
            />
          )}
          <p class="hint">
            Times are {data.timeZone}. {asked.users.length} users; {data.minutes.toLocaleString('en-US')} minutes per pull type.
          </p>
          {shown.map((s) => (
            <SharesTable key={s.pullType} series={s} timeZone={data.timeZone} />
          ))}
        </Section>
      )}
    </div>
  );
}

function SharesTable({ series, timeZone }: { series: CurvesData['series'][number]; timeZone: string }) {
  const peak = Number(series.peakCCV);
  const rows = [...series.shares].sort((a, b) => b.viewers - a.viewers || (a.id < b.id ? -1 : 1));
  return (
    <div class="table-wrap">
      <table class="shares" data-pull-type={series.pullType}>
        <caption>
          Each user's share of the {series.pullType} peak ({formatInt(peak)} at {label(series.statAt, timeZone)})
        </caption>
        <thead>
          <tr>
            <th scope="col">User</th>
            <th scope="col" class="num">
              Viewers at the peak
            </th>
            <th scope="col" class="num">
              Share
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id}>
              <th scope="row">{r.id}</th>
              <td class="num">{formatInt(r.viewers)}</td>
              <td class="num">{peak > 0 ? `${((100 * r.viewers) / peak).toFixed(1)}%` : '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
