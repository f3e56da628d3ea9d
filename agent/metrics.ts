// The agent's counters, rendered in Prometheus' text format for GET /metrics.
export class Metrics {
  snapshotCount = 0;
  snapshotSecondsSum = 0;
  snapshotSecondsLast = 0;
  eventsSent = 0;
  clients = 0;
  reconcile = new Map<string, number>();
  probes = new Map<string, number>();
  probeSeconds = new Map<string, { sum: number; count: number }>();

  observeSnapshot(ms: number): void {
    this.snapshotCount++;
    this.snapshotSecondsSum += ms / 1000;
    this.snapshotSecondsLast = ms / 1000;
  }

  countReconcile(action: string): void {
    this.reconcile.set(action, (this.reconcile.get(action) ?? 0) + 1);
  }

  observeProbe(kind: string, outcome: string, ms: number): void {
    const key = `${kind}\n${outcome}`;
    this.probes.set(key, (this.probes.get(key) ?? 0) + 1);
    const d = this.probeSeconds.get(kind) ?? { sum: 0, count: 0 };
    d.sum += ms / 1000;
    d.count++;
    this.probeSeconds.set(kind, d);
  }

  render(node: string): string {
    const l = `node="${node}"`;
    const lines = [
      '# HELP podnet_agent_snapshot_duration_seconds Time to collect the node\'s network from the kernel.',
      '# TYPE podnet_agent_snapshot_duration_seconds summary',
      `podnet_agent_snapshot_duration_seconds_sum{${l}} ${this.snapshotSecondsSum}`,
      `podnet_agent_snapshot_duration_seconds_count{${l}} ${this.snapshotCount}`,
      '# HELP podnet_agent_snapshot_last_duration_seconds The last collection\'s duration.',
      '# TYPE podnet_agent_snapshot_last_duration_seconds gauge',
      `podnet_agent_snapshot_last_duration_seconds{${l}} ${this.snapshotSecondsLast}`,
      '# HELP podnet_agent_events_sent_total Server-sent events written to clients.',
      '# TYPE podnet_agent_events_sent_total counter',
      `podnet_agent_events_sent_total{${l}} ${this.eventsSent}`,
      '# HELP podnet_agent_clients Clients connected to /v1/events.',
      '# TYPE podnet_agent_clients gauge',
      `podnet_agent_clients{${l}} ${this.clients}`,
      '# HELP podnet_agent_reconcile_actions_total Routes the reconciler added, replaced or removed.',
      '# TYPE podnet_agent_reconcile_actions_total counter',
      ...[...this.reconcile].map(([action, n]) => `podnet_agent_reconcile_actions_total{${l},action="${action}"} ${n}`),
      '# HELP podnet_agent_probes_total Probes run, by kind and outcome.',
      '# TYPE podnet_agent_probes_total counter',
      ...[...this.probes].map(([key, n]) => {
        const [kind, outcome] = key.split('\n');
        return `podnet_agent_probes_total{${l},kind="${kind}",outcome="${outcome}"} ${n}`;
      }),
      '# HELP podnet_agent_probe_duration_seconds Probe durations, by kind.',
      '# TYPE podnet_agent_probe_duration_seconds summary',
      ...[...this.probeSeconds].flatMap(([kind, d]) => [
        `podnet_agent_probe_duration_seconds_sum{${l},kind="${kind}"} ${d.sum}`,
        `podnet_agent_probe_duration_seconds_count{${l},kind="${kind}"} ${d.count}`,
      ]),
    ];
    return lines.join('\n') + '\n';
  }
}
