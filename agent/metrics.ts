// The agent's counters, rendered in Prometheus' text format for GET /metrics.
export class Metrics {
  snapshotCount = 0;
  snapshotSecondsSum = 0;
  snapshotSecondsLast = 0;
  eventsSent = 0;
  clients = 0;
  /** event clients dropped for not reading (agent/server.ts) */
  clientsDropped = 0;
  reconcile = new Map<string, number>();
  /** more text to append (the prober renders its own series) */
  extra: () => string = () => '';

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
      '# HELP podnet_agent_clients_dropped_total Event clients dropped because they stopped reading.',
      '# TYPE podnet_agent_clients_dropped_total counter',
      `podnet_agent_clients_dropped_total{${l}} ${this.clientsDropped}`,
      '# HELP podnet_agent_reconcile_actions_total Routes the reconciler added, replaced or removed.',
      '# TYPE podnet_agent_reconcile_actions_total counter',
      ...[...this.reconcile].map(([action, n]) => `podnet_agent_reconcile_actions_total{${l},action="${action}"} ${n}`),
    ];
    return lines.join('\n') + '\n' + this.extra();
  }
}
