/**
 * Channel and user views: one user's channels summed, or chosen channels summed (concurrence, concurrence-mc), per
 * minute over the days, all pull types together or one; and each local day's peak (concurrence-mc's day points).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Chart, colorOf } from '../chart.js';
import { download } from '../csv.js';
import type { AccountsData, CurvesData } from '../source.js';
import { label, minuteLabels } from '../time.js';
import { CheckList, DateRange, ErrorBox, formatInt, Section, useTask } from '../ui.js';
import type { CurveViewProps } from './peak.js';

type Mode = 'user' | 'channels';

interface DayPeak {
  day: string;
  viewers: number;
  /** epoch ms of the earliest minute reaching it; undefined without viewers */
  at: number | undefined;
}

/** The total of the pull types minute by minute (what the v3 family answers), or the one pull type asked for. */
function totalOf(data: CurvesData): Float64Array {
  const total = new Float64Array(data.minutes);
  for (const s of data.series) for (let i = 0; i < s.values.length; i++) total[i]! += s.values[i]!;
  return total;
}

function dayPeaks(data: CurvesData, total: Float64Array): DayPeak[] {
  return data.days.map((d, k) => {
    const end = data.days[k + 1]?.index ?? data.minutes;
    let best = 0;
    let at: number | undefined;
    for (let i = d.index; i < end; i++) {
      if (total[i]! > best) {
        best = total[i]!;
        at = data.from + i * 60_000;
      }
    }
    return { day: d.day, viewers: best, at };
  });
}

export function AccountsView({ source, settings, appId, range, onRange }: CurveViewProps) {
  const accounts = useTask<AccountsData>();
  // the answer carries its question, so what is shown always belongs together
  const curve = useTask<{ data: CurvesData; asked: { what: string; pullType: string; start: string; end: string } }>();
  const [mode, setMode] = useState<Mode>('user');
  const [user, setUser] = useState('');
  const [channels, setChannels] = useState<Set<string>>(new Set());
  const [pullType, setPullType] = useState('');
  const [view, setView] = useState<{ min: number; max: number }>();

  useEffect(() => {
    void accounts.run(async () => {
      const a = await source.accounts(appId);
      setUser(a.users[0]?.userId ?? '');
      setChannels(new Set());
      return a;
    });
  }, [source, appId]);

  const allChannels = useMemo(
    () => (accounts.value?.users ?? []).flatMap((u) => u.channels.map((c) => ({ value: c, label: `${c} (${u.userId})` }))),
    [accounts.value],
  );

  const submit = (e: Event) => {
    e.preventDefault();
    const q = { start: range.start, end: range.end, pullType: pullType || undefined };
    if (mode === 'user') {
      const asked = { what: `user ${user}`, pullType, start: range.start, end: range.end };
      void curve.run(async () => ({ data: await source.usersCurve(appId, [user], q), asked }));
    } else {
      const ids = [...channels];
      const what = ids.length === 1 ? `channel ${ids[0]}` : `${ids.length} channels summed`;
      const asked = { what, pullType, start: range.start, end: range.end };
      void curve.run(async () => ({ data: await source.channelsCurve(appId, ids, q), asked }));
    }
  };

  const data = curve.value?.data;
  const asked = curve.value?.asked;
  useEffect(() => setView(undefined), [data]);
  const total = useMemo(() => (data ? totalOf(data) : undefined), [data]);
  const days = useMemo(() => (data && total ? dayPeaks(data, total) : []), [data, total]);
  const series = useMemo(() => {
    if (!data || !total) return [];
    const key = asked?.pullType || 'all';
    const peakDay = days.reduce<DayPeak | undefined>((b, d) => (d.viewers > (b?.viewers ?? 0) ? d : b), undefined);
    return [
      {
        label: asked?.pullType || 'all pull types',
        values: total,
        color: colorOf(key),
        peak: peakDay?.at === undefined ? undefined : { at: peakDay.at, value: peakDay.viewers },
      },
    ];
  }, [data, total, days, asked]);

  const downloadCurve = () => {
    if (!data || !total) return;
    const lo = Math.max(0, Math.ceil(((view?.min ?? data.from) - data.from) / 60_000));
    const hi = Math.min(data.minutes - 1, Math.floor(((view?.max ?? Number.POSITIVE_INFINITY) - data.from) / 60_000));
    const labels = minuteLabels(data.from + lo * 60_000, hi - lo + 1, data.timeZone);
    download(
      `curve-${appId}-${asked?.start}-${asked?.end}.csv`,
      ['day', 'minute', 'viewers'],
      labels.map((l, k) => [l.day, l.minute, total[lo + k]!]),
    );
  };
  const downloadDays = () => {
    if (!data) return;
    download(
      `day-peaks-${appId}-${asked?.start}-${asked?.end}.csv`,
      ['day', 'viewers', 'peakAt'],
      days.map((d) => [d.day, d.viewers, d.at === undefined ? '' : label(d.at, data.timeZone)]),
    );
  };
  const users = accounts.value?.users ?? [];

  return (
    <div class="view">
      <Section title="Channels and users">
        <ErrorBox error={accounts.error} />
        <form class="query" onSubmit={submit} aria-label="curve query">
          <div class="query-main">
            <fieldset class="modes">
              <legend>Show</legend>
              <label>
                <input type="radio" name="mode" value="user" checked={mode === 'user'} onChange={() => setMode('user')} /> a
                user's channels summed
              </label>
              <label>
                <input
                  type="radio"
                  name="mode"
                  value="channels"
                  checked={mode === 'channels'}
                  onChange={() => setMode('channels')}
                />{' '}
                chosen channels summed
              </label>
            </fieldset>
            {mode === 'user' ? (
              <div class="field">
                <label for="acc-user">User</label>
                <select id="acc-user" value={user} onChange={(e) => setUser((e.target as HTMLSelectElement).value)}>
                  {users.map((u) => (
                    <option key={u.userId} value={u.userId}>
                      {u.userId} ({u.channels.length} channel{u.channels.length === 1 ? '' : 's'})
                    </option>
                  ))}
                </select>
              </div>
            ) : (
              <CheckList legend="Channels" name="channels" options={allChannels} selected={channels} onChange={setChannels} />
            )}
          </div>
          <div class="query-side">
            <DateRange
              start={range.start}
              end={range.end}
              maxDays={settings.maxDays}
              onChange={(start, end) => onRange({ start, end })}
            />
            <div class="field">
              <label for="acc-pull">Pull type</label>
              <select id="acc-pull" value={pullType} onChange={(e) => setPullType((e.target as HTMLSelectElement).value)}>
                <option value="">all together</option>
                {settings.pullTypes.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            </div>
            <button type="submit" class="primary" disabled={curve.busy || (mode === 'user' ? !user : channels.size === 0)}>
              {curve.busy ? 'Loading…' : 'Show curve'}
            </button>
          </div>
        </form>
        <ErrorBox error={curve.error} />
      </Section>

      {data && total && asked && (
        <Section
          title={`CCV per minute: ${asked.what}`}
          actions={
            <>
              <button type="button" onClick={downloadCurve}>
                Download curve (CSV)
              </button>
              <button type="button" onClick={downloadDays}>
                Download day peaks (CSV)
              </button>
            </>
          }
        >
          <Chart
            from={data.from}
            minutes={data.minutes}
            series={series}
            timeZone={data.timeZone}
            title={`CCV per minute of ${asked.what}, ${asked.start} to ${asked.end} (${data.timeZone})`}
            onView={setView}
          />
          <div class="table-wrap">
            <table class="day-peaks">
              <caption>Each day's peak ({data.timeZone})</caption>
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  <th scope="col" class="num">
                    Peak
                  </th>
                  <th scope="col">At</th>
                  <th scope="col" class="bar-col">
                    <span class="visually-hidden">bar</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {days.map((d) => (
                  <tr key={d.day} data-day={d.day} data-peak={d.viewers}>
                    <th scope="row">{d.day}</th>
                    <td class="num">{formatInt(d.viewers)}</td>
                    <td>{d.at === undefined ? '–' : label(d.at, data.timeZone).slice(11)}</td>
                    <td class="bar-col" aria-hidden="true">
                      <meter min={0} max={Math.max(1, ...days.map((x) => x.viewers))} value={d.viewers} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      )}
    </div>
  );
}
