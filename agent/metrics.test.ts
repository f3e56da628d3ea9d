import { describe, expect, it } from 'vitest';
import { Metrics, emptyHistogram, observeDuration, renderProbeMetrics, type ProbeStats } from './metrics.js';

describe('metrics', () => {
  it('a cumulative histogram, rendered in the Prometheus text format', () => {
    const h = emptyHistogram();
    for (const ms of [3, 40, 40, 700, 20_000]) observeDuration(h, ms);
    expect(h.count).toBe(5);
    expect(h.sumMs).toBe(20_783);
    expect(h.buckets).toEqual([1, 1, 3, 3, 3, 3, 4, 4, 4, 4, 5]);
    const zero = { outcomes: { ok: 0, failed: 0, timeout: 0 }, durationMs: emptyHistogram() };
    const stats: ProbeStats = {
      maxConcurrent: 4,
      maxQueue: 8,
      inFlight: 1,
      queued: 0,
      spawned: 5,
      runs: {
        ping: { outcomes: { ok: 4, failed: 0, timeout: 1 }, durationMs: h },
        traceroute: zero,
        'route-get': zero,
        tcp: zero,
      },
      rejected: {
        invalid: 2,
        'unknown-pod': 0,
        'pod-without-ip': 0,
        'source-unavailable': 0,
        busy: 1,
        closed: 0,
        'spawn-failed': 0,
      },
    };
    const text = renderProbeMetrics(stats);
    expect(text).toContain('podnet_probe_runs_total{kind="ping",outcome="timeout"} 1');
    expect(text).toContain('podnet_probe_rejected_total{reason="busy"} 1');
    expect(text).toContain('podnet_probe_duration_seconds_bucket{kind="ping",le="0.05"} 3');
    expect(text).toContain('podnet_probe_duration_seconds_bucket{kind="ping",le="+Inf"} 5');
    expect(text).toContain('podnet_probe_duration_seconds_sum{kind="ping"} 20.783');
    expect(text).toContain('podnet_probe_in_flight 1');
    expect(text.endsWith('\n')).toBe(true);
  });

  it("the prober's series follow the agent's own in one /metrics text", () => {
    const m = new Metrics();
    m.countReconcile('add');
    m.probes.countRun('ping', 'ok', 40);
    m.probes.rejected.busy++;
    m.probes.inFlight = 1;
    const text = m.render('node1');
    expect(text).toContain('podnet_probe_runs_total{kind="ping",outcome="ok"} 1\n');
    expect(text).toContain('podnet_probe_duration_seconds_bucket{kind="ping",le="0.05"} 1\n');
    expect(text).toContain('podnet_probe_rejected_total{reason="busy"} 1\n');
    expect(text).toContain('podnet_probe_in_flight 1\n');
    expect(text.indexOf('podnet_agent_reconcile_actions_total{node="node1",action="add"} 1\n')).toBeLessThan(
      text.indexOf('# HELP podnet_probe_runs_total'),
    );
  });
});
