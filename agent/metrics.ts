// The agent's counters, rendered in Prometheus' text format for GET /metrics: the
// snapshots, events and reconciler's (Metrics), and the prober's (ProbeCounters, which
// agent/probe.ts writes and Metrics renders after its own).
import { PROBE_KINDS, type ProbeErrorCode, type ProbeKind } from '../lib/model/probe.js';

export type ProbeOutcome = 'ok' | 'failed' | 'timeout';
export const PROBE_OUTCOMES: readonly ProbeOutcome[] = ['ok', 'failed', 'timeout'];

/** Upper bounds of the duration histogram's buckets (ms); the last bucket is +Inf. */
export const PROBE_DURATION_BUCKETS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

export interface DurationHistogram {
  count: number;
  sumMs: number;
  /** cumulative counts for each of PROBE_DURATION_BUCKETS_MS (le), then +Inf (== count) */
  buckets: number[];
}

export function emptyHistogram(): DurationHistogram {
  return { count: 0, sumMs: 0, buckets: Array.from({ length: PROBE_DURATION_BUCKETS_MS.length + 1 }, () => 0) };
}

export function observeDuration(h: DurationHistogram, ms: number): void {
  h.count++;
  h.sumMs += ms;
  PROBE_DURATION_BUCKETS_MS.forEach((le, i) => {
    if (ms <= le) h.buckets[i]!++;
  });
  h.buckets[PROBE_DURATION_BUCKETS_MS.length]!++;
}

/** A prober's state as its stats() reports it. */
export interface ProbeStats {
  maxConcurrent: number;
  maxQueue: number;
  inFlight: number;
  queued: number;
  /** processes started since the prober was created */
  spawned: number;
  runs: Record<ProbeKind, { outcomes: Record<ProbeOutcome, number>; durationMs: DurationHistogram }>;
  /** requests refused before any process ran, by error code */
  rejected: Record<ProbeErrorCode, number>;
}

/** The prober's counters and gauges. One prober writes them (createProber's `counters`). */
export class ProbeCounters {
  inFlight = 0;
  queued = 0;
  spawned = 0;
  runs = Object.fromEntries(
    PROBE_KINDS.map((k) => [
      k,
      {
        outcomes: Object.fromEntries(PROBE_OUTCOMES.map((o) => [o, 0])) as Record<ProbeOutcome, number>,
        durationMs: emptyHistogram(),
      },
    ]),
  ) as ProbeStats['runs'];
  rejected: Record<ProbeErrorCode, number> = {
    invalid: 0,
    'unknown-pod': 0,
    'pod-without-ip': 0,
    'source-unavailable': 0,
    busy: 0,
    closed: 0,
    'spawn-failed': 0,
  };

  countRun(kind: ProbeKind, outcome: ProbeOutcome, durationMs: number): void {
    this.runs[kind].outcomes[outcome]++;
    observeDuration(this.runs[kind].durationMs, durationMs);
  }
}

/** A prober's series in Prometheus' text format. */
export function renderProbeMetrics(s: Pick<ProbeStats, 'runs' | 'rejected' | 'inFlight' | 'queued'>): string {
  const lines = [
    '# HELP podnet_probe_runs_total Probes that ran, by kind and outcome.',
    '# TYPE podnet_probe_runs_total counter',
  ];
  for (const kind of PROBE_KINDS)
    for (const o of PROBE_OUTCOMES)
      lines.push(`podnet_probe_runs_total{kind="${kind}",outcome="${o}"} ${s.runs[kind].outcomes[o]}`);
  lines.push(
    '# HELP podnet_probe_rejected_total Probe requests refused before anything ran, by reason.',
    '# TYPE podnet_probe_rejected_total counter',
  );
  for (const [code, n] of Object.entries(s.rejected)) lines.push(`podnet_probe_rejected_total{reason="${code}"} ${n}`);
  lines.push(
    '# HELP podnet_probe_duration_seconds How long probe processes ran.',
    '# TYPE podnet_probe_duration_seconds histogram',
  );
  for (const kind of PROBE_KINDS) {
    const h = s.runs[kind].durationMs;
    PROBE_DURATION_BUCKETS_MS.forEach((le, i) =>
      lines.push(`podnet_probe_duration_seconds_bucket{kind="${kind}",le="${le / 1000}"} ${h.buckets[i]}`),
    );
    lines.push(`podnet_probe_duration_seconds_bucket{kind="${kind}",le="+Inf"} ${h.count}`);
    lines.push(`podnet_probe_duration_seconds_sum{kind="${kind}"} ${h.sumMs / 1000}`);
    lines.push(`podnet_probe_duration_seconds_count{kind="${kind}"} ${h.count}`);
  }
  lines.push(
    '# HELP podnet_probe_in_flight Probe processes running now.',
    '# TYPE podnet_probe_in_flight gauge',
    `podnet_probe_in_flight ${s.inFlight}`,
    '# HELP podnet_probe_queued Probe requests waiting for a slot.',
    '# TYPE podnet_probe_queued gauge',
    `podnet_probe_queued ${s.queued}`,
  );
  return lines.join('\n') + '\n';
}

export class Metrics {
  snapshotCount = 0;
  snapshotSecondsSum = 0;
  snapshotSecondsLast = 0;
  eventsSent = 0;
  clients = 0;
  /** event clients dropped for not reading (agent/server.ts) */
  clientsDropped = 0;
  reconcile = new Map<string, number>();
  /** the agent's prober writes these (createProber's `counters`) */
  readonly probes = new ProbeCounters();

  observeSnapshot(ms: number): void {
    this.snapshotCount++;
    this.snapshotSecondsSum += ms / 1000;
    this.snapshotSecondsLast = ms / 1000;
  }

  countReconcile(action: string): void {
    this.reconcile.set(action, (this.reconcile.get(action) ?? 0) + 1);
  }

  render(node: string): string {
    const l = `node="${node}"`;
    const lines = [
      "# HELP podnet_agent_snapshot_duration_seconds Time to collect the node's network from the kernel.",
      '# TYPE podnet_agent_snapshot_duration_seconds summary',
      `podnet_agent_snapshot_duration_seconds_sum{${l}} ${this.snapshotSecondsSum}`,
      `podnet_agent_snapshot_duration_seconds_count{${l}} ${this.snapshotCount}`,
      "# HELP podnet_agent_snapshot_last_duration_seconds The last collection's duration.",
      '# TYPE podnet_agent_snapshot_last_duration_seconds gauge',
      `podnet_agent_snapshot_last_duration_seconds{${l}} ${this.snapshotSecondsLast}`,
      '# HELP podnet_agent_events_sent_total Server-sent events written to clients.',
      '# TYPE podnet_agent_events_sent_total counter',
      `podnet_agent_events_sent_total{${l}} ${this.eventsSent}`,
      '# HELP podnet_agent_clients Clients connected to /v1/events.',
      '# TYPE podnet_agent_clients gauge',
      `podnet_agent_clients{${l}} ${this.clients}`,
      '# HELP podnet_agent_clients_dropped_total Event clients dropped because they stopped reading.',
      '# TYPE podnet_agent_clients_dropped_total counter',
      `podnet_agent_clients_dropped_total{${l}} ${this.clientsDropped}`,
      '# HELP podnet_agent_reconcile_actions_total Routes the reconciler added, replaced or removed.',
      '# TYPE podnet_agent_reconcile_actions_total counter',
      ...[...this.reconcile].map(([action, n]) => `podnet_agent_reconcile_actions_total{${l},action="${action}"} ${n}`),
    ];
    return lines.join('\n') + '\n' + renderProbeMetrics(this.probes);
  }
}
