/**
 * Readiness: whether this process can do its work now, component by component (store, heartbeat log,
 * minute flush, shared limits). Liveness is separate and asks nothing: a process that answers is alive,
 * and restarting it would not bring a full disk or a lost database back. Each check gets a deadline so a
 * hung dependency reads as failing instead of hanging the probe.
 */

export interface ComponentHealth {
  ok: boolean;
  /** what failed, while failing; what the component is, when useful */
  detail?: string;
  /** epoch ms since when it has been failing */
  since?: number;
}

export type HealthCheck = () => Promise<ComponentHealth> | ComponentHealth;

export interface Readiness {
  ready: boolean;
  components: Record<string, ComponentHealth>;
}

export async function checkReadiness(checks: Record<string, HealthCheck>, timeoutMs: number): Promise<Readiness> {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => withDeadline(checks[name]!, timeoutMs)));
  const components = Object.fromEntries(names.map((name, i) => [name, results[i]!]));
  return { ready: results.every((r) => r.ok), components };
}

/** One line naming every failing component and why, for the 503 message. */
export function failingSummary(r: Readiness): string {
  return Object.entries(r.components)
    .filter(([, c]) => !c.ok)
    .map(([name, c]) => {
      const since = c.since === undefined ? '' : ` since ${new Date(c.since).toISOString()}`;
      return `${name}: ${c.detail ?? 'failing'}${since}`;
    })
    .join('; ');
}

async function withDeadline(check: HealthCheck, ms: number): Promise<ComponentHealth> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<ComponentHealth>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${ms} ms` }), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), deadline]);
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
