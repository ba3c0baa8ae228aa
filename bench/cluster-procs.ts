/** Processes and load for bench/cluster.ts: real `live-ccv serve` processes and an HTTP batch sender. */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { nodeArgs, REPO } from './node-command.js';

export class BenchProcess {
  url = '';
  private output = '';
  private readonly exited: Promise<unknown>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exited = new Promise((r) => child.once('exit', r));
    // Kept only until the listening line: the request log of a loaded server is not worth holding. After it,
    // errors are echoed (pino lines at error level, or plain ones on stderr).
    const scan = (d: Buffer) => {
      const text = d.toString();
      if (!this.url) {
        this.output = (this.output + text).slice(-20_000);
        return;
      }
      for (const line of text.split('\n')) {
        if (/"level":[56]0/.test(line) || /^live-ccv [a-z]+: (?!partition \d+ (acquired|released))/.test(line)) {
          process.stderr.write(`[${name}] ${line}\n`);
        }
      }
    };
    child.stdout!.on('data', scan);
    child.stderr!.on('data', scan);
  }

  static async start(name: string, env: Record<string, string>): Promise<BenchProcess> {
    const child = spawn(process.execPath, [...nodeArgs('src/cli/main.ts'), 'serve'], {
      cwd: REPO,
      env: { ...process.env, LIVE_CCV_HOST: '127.0.0.1', LIVE_CCV_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const p = new BenchProcess(name, child);
    p.url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const m = /listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(p.output);
        if (m) {
          clearInterval(timer);
          resolve(m[1]!);
        }
      }, 50);
      void p.exited.then(() => {
        clearInterval(timer);
        reject(new Error(`${name} exited before listening:\n${p.output}`));
      });
    });
    return p;
  }

  /** VmHWM of the running process. */
  peakRssMb(): number {
    const status = fs.readFileSync(`/proc/${this.child.pid}/status`, 'utf8');
    return Math.round(Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024);
  }

  /** CPU time (user + system) the process has used, in ms. */
  cpuMs(): number {
    return cpuMsOf(this.child.pid!);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
  }
}

/** Posts NDJSON bodies round-robin over the urls, `inFlight` at a time; every heartbeat must be accepted. */
export async function postBatches(urls: string[], bodies: string[], token: string, inFlight: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      const body = bodies[i]!;
      const res = await fetch(`${urls[i % urls.length]}/v1/heartbeats`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
        body,
      });
      const json = (await res.json()) as { data?: { accepted: number; rejected: unknown[] }; message?: string };
      const expected = body.split('\n').filter(Boolean).length;
      if (res.status !== 200 || json.data?.accepted !== expected) {
        throw new Error(`POST /v1/heartbeats: HTTP ${res.status}, ${JSON.stringify(json).slice(0, 200)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

export function percentile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

/** CPU time (user + system) of a process from /proc, in ms (clock ticks of 10 ms on Linux). */
export function cpuMsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The pid of the local nats-server, to count its CPU too (undefined when it runs elsewhere). */
export function natsServerPid(): number | undefined {
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === 'nats-server') return Number(entry);
    } catch {
      // the process ended while listing
    }
  }
  return undefined;
}

/** Sends `n` single-heartbeat beacons (JSON bodies, as navigator.sendBeacon does), `inFlight` at a time. */
export async function postBeacons(url: string, n: number, inFlight: number, channels: readonly string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await fetch(`${url}/v1/beacon`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: `{"channelId":"${channels[i % channels.length]}","viewerId":"beacon-${i}","pullType":"cdn"}`,
      });
      if (res.status !== 204) throw new Error(`POST /v1/beacon: HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}
