// Probes and traces send packets from inside pods (TCP to any port included): each run is
// written to the dashboard's log as one JSON line (who, kind, from, to), and each caller —
// a session, a bearer key, or everyone when the dashboard has no key — may start only so
// many per minute; past that the call fails with TOO_MANY_REQUESTS (HTTP 429).
import { TRPCError } from '@trpc/server';
import { WHO_HEADER } from './access';
import { loadConfig } from './config';

export interface ProbeRun {
  kind: string;
  from: string;
  to: string;
  port?: number | null;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** A token bucket per caller: `perMinute` at once, refilled evenly over a minute. */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  constructor(
    private perMinute: number,
    private now: () => number = Date.now,
  ) {}

  /** 0 when admitted, else the seconds until the next run would be */
  take(who: string): number {
    if (this.perMinute === 0) return 0;
    const now = this.now();
    const b = this.buckets.get(who) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.set(who, b);
    if (this.buckets.size > 10_000) this.forgetFull();
    if (b.tokens < 1) return Math.ceil(((1 - b.tokens) * 60) / this.perMinute);
    b.tokens -= 1;
    return 0;
  }

  /** callers whose bucket has refilled need no memory: bounds the map under many sessions */
  private forgetFull(): void {
    const now = this.now();
    for (const [who, b] of this.buckets)
      if (b.tokens + ((now - b.at) / 60_000) * this.perMinute >= this.perMinute) this.buckets.delete(who);
  }
}

export function whoOf(headers: Headers): string {
  return headers.get(WHO_HEADER) ?? 'unknown';
}

/** Admits a run (or throws 429) and writes its audit line. */
export function admitProbe(
  limiter: RateLimiter,
  headers: Headers,
  run: ProbeRun,
  log: (line: string) => void = (l) => console.log(l),
): void {
  const who = whoOf(headers);
  const wait = limiter.take(who);
  const line = {
    time: new Date().toISOString(),
    event: 'probe',
    who,
    kind: run.kind,
    from: run.from,
    to: run.to,
    ...(run.port ? { port: run.port } : {}),
    admitted: wait === 0,
  };
  log(JSON.stringify(line));
  if (wait > 0)
    throw new TRPCError({
      code: 'TOO_MANY_REQUESTS',
      message: `too many probes and traces from this caller: try again in ${wait} s (the dashboard allows PODNET_PROBE_RATE per minute)`,
    });
}

const KEY = Symbol.for('podnet.probe-limiter');
/** The server's one limiter (kept on globalThis: Next.js may load this module twice). */
export function probeLimiter(): RateLimiter {
  const holder = globalThis as { [KEY]?: RateLimiter };
  return (holder[KEY] ??= new RateLimiter(loadConfig().PODNET_PROBE_RATE));
}
