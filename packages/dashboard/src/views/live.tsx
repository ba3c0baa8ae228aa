/**
 * Live: viewers now of every user and channel of an application (a heartbeat in the last 60 s), refreshed every few
 * seconds, with how far behind the stored minutes are (the freshness lag of the last closed minute).
 */
import { useState } from 'preact/hooks';
import { download } from '../csv.js';
import { freshness, type FreshnessData, type RealtimeData, type SettingsData, type Source } from '../source.js';
import { duration, label } from '../time.js';
import { ErrorBox, formatInt, Section, useInterval, useTask } from '../ui.js';

const EVERY = [2, 5, 10, 30];

export function LiveView({ source, settings, appId }: { source: Source; settings: SettingsData; appId: string }) {
  const live = useTask<RealtimeData>();
  const fresh = useTask<FreshnessData>();
  const [every, setEvery] = useState(5);
  const [paused, setPaused] = useState(false);

  useInterval(
    () => {
      void live.run(() => source.realtime(appId));
      void fresh.run(freshness);
    },
    every * 1000,
    paused,
  );

  const data = live.value;
  const types = settings.pullTypes;
  const f = fresh.value;

  const downloadNow = () => {
    if (!data) return;
    download(
      `live-${appId}-${data.at}.csv`,
      ['at', 'userId', 'channelId', 'viewers', ...types],
      data.channels.map((c) => [
        label(data.at, settings.timeZone),
        c.userId,
        c.channelId,
        c.viewers,
        ...types.map((p) => c.byPullType[p] ?? 0),
      ]),
    );
  };

  return (
    <div class="view">
      <Section
        title="Live viewers"
        actions={
          <>
            <div class="field inline">
              <label for="live-every">Refresh every</label>
              <select id="live-every" value={every} onChange={(e) => setEvery(Number((e.target as HTMLSelectElement).value))}>
                {EVERY.map((s) => (
                  <option key={s} value={s}>
                    {s} s
                  </option>
                ))}
              </select>
            </div>
            <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
              {paused ? 'Resume' : 'Pause'}
            </button>
            <button type="button" onClick={downloadNow} disabled={!data}>
              Download viewers (CSV)
            </button>
          </>
        }
      >
        <p class="freshness" aria-live="polite" data-lag-ms={f?.lagMs ?? ''}>
          {f === undefined
            ? 'Reading freshness…'
            : f.closedBefore === null
              ? 'No minute has been closed by the heartbeat ingest yet.'
              : `Minutes up to ${label(f.closedBefore - 60_000, settings.timeZone)} are closed and stored; the last closed minute ended ${duration(f.lagMs ?? 0)} ago.`}
        </p>
        <ErrorBox error={live.error ?? fresh.error} />
        {data && (
          <>
            <p class="hint" aria-live="polite">
              Viewers with a heartbeat in the 60 s before {label(data.at, settings.timeZone)}:{' '}
              <strong class="live-total">{formatInt(data.users.reduce((a, u) => a + u.viewers, 0))}</strong>
            </p>
            <LiveTable
              caption="Users (their channels summed)"
              idTitle="User"
              rows={data.users.map((u) => ({ id: u.userId, viewers: u.viewers, byPullType: u.byPullType }))}
              types={types}
              kind="user"
            />
            <LiveTable
              caption="Channels"
              idTitle="Channel"
              rows={data.channels.map((c) => ({
                id: c.channelId,
                sub: c.userId,
                viewers: c.viewers,
                byPullType: c.byPullType,
              }))}
              types={types}
              kind="channel"
            />
          </>
        )}
      </Section>
    </div>
  );
}

function LiveTable({
  caption,
  idTitle,
  rows,
  types,
  kind,
}: {
  caption: string;
  idTitle: string;
  rows: { id: string; sub?: string; viewers: number; byPullType: Record<string, number> }[];
  types: readonly string[];
  kind: string;
}) {
  return (
    <div class="table-wrap">
      <table class="live" data-kind={kind}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">{idTitle}</th>
            {rows.some((r) => r.sub) && <th scope="col">User</th>}
            <th scope="col" class="num">
              Viewers now
            </th>
            {types.map((p) => (
              <th key={p} scope="col" class="num">
                {p}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-id={r.id} data-viewers={r.viewers}>
              <th scope="row">{r.id}</th>
              {r.sub !== undefined && <td>{r.sub}</td>}
              <td class="num">{formatInt(r.viewers)}</td>
              {types.map((p) => (
                <td key={p} class="num">
                  {formatInt(r.byPullType[p] ?? 0)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
