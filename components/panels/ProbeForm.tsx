'use client';
// Ping, traceroute or the kernel's route lookup from inside a pod, run by its node's
// agent (probe.run). In read-only mode the form says probes are off instead.
import { useMemo, useState } from 'react';
import type { PingResult, ProbeKind, ProbeResult, RouteGetResult, TracerouteResult } from '../../lib/model/probe';
import type { TopoPod, Topology } from '../../lib/model/topology';
import { makeTrpcClient } from '../data/trpc-client';

function summary(r: ProbeResult): string {
  if (r.kind === 'ping') {
    const p = r as PingResult;
    const rtt = p.rttMs ? `, avg ${p.rttMs.avg.toFixed(3)} ms` : '';
    return `${p.received}/${p.sent} replies from ${r.to.ip}${rtt}${p.icmpErrors[0] ? ` — ${p.icmpErrors[0].from}: ${p.icmpErrors[0].message}` : ''}`;
  }
  if (r.kind === 'traceroute') {
    const t = r as TracerouteResult;
    return `${t.reached ? 'reached' : 'did not reach'} ${r.to.ip}: ${t.hops.map((h) => h.address ?? '*').join(' → ')}`;
  }
  const g = r as RouteGetResult;
  return g.route
    ? `${g.route.dst}${g.route.gateway ? ` via ${g.route.gateway}` : ''}${g.route.dev ? ` dev ${g.route.dev}` : ''}${g.route.prefsrc ? ` src ${g.route.prefsrc}` : ''}`
    : `no route to ${r.to.ip}`;
}

export function ProbeForm({ pod, topology }: { pod: TopoPod; topology: Topology }) {
  const client = useMemo(() => makeTrpcClient(), []);
  const other =
    topology.pods.find((p) => p.key !== pod.key && p.node !== pod.node && p.ip) ??
    topology.pods.find((p) => p.key !== pod.key && p.ip);
  const [kind, setKind] = useState<ProbeKind>('ping');
  const [to, setTo] = useState(other ? other.ip! : '');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ProbeResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  if (topology.cluster.readOnly) {
    return (
      <p data-testid="probe-off" className="text-sm text-slate-600 dark:text-slate-400">
        Probes are off: this dashboard runs read-only.
      </p>
    );
  }
  if (!pod.node || pod.hostNetwork)
    return <p className="text-sm text-slate-600 dark:text-slate-400">Probes run from pods on the pod network.</p>;

  const run = async () => {
    setBusy(true);
    setError(null);
    setResult(null);
    try {
      setResult(await client.probe.run.mutate({ kind, from: pod.key, to }));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="probe" className="space-y-2 text-sm">
      <form
        className="flex flex-wrap items-center gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <label className="sr-only" htmlFor="probe-kind">
          Probe
        </label>
        <select
          id="probe-kind"
          data-testid="probe-kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as ProbeKind)}
          className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-600 dark:bg-slate-900"
        >
          <option value="ping">ping</option>
          <option value="traceroute">traceroute</option>
          <option value="route-get">route get</option>
        </select>
        <label className="sr-only" htmlFor="probe-to">
          Target: a pod or an IP
        </label>
        <input
          id="probe-to"
          data-testid="probe-to"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          placeholder="pod or IP"
          className="min-w-0 flex-1 rounded border border-slate-300 bg-white px-1 py-0.5 font-mono dark:border-slate-600 dark:bg-slate-900"
        />
        <button
          type="submit"
          data-testid="probe-run"
          disabled={busy || !to.trim()}
          className="rounded bg-slate-800 px-2 py-0.5 text-white disabled:opacity-50 dark:bg-slate-200 dark:text-slate-900"
        >
          {busy ? 'Running…' : 'Run'}
        </button>
      </form>
      {error && (
        <p data-testid="probe-error" role="alert" className="text-red-700 dark:text-red-400">
          {error}
        </p>
      )}
      {result && (
        <div data-testid="probe-result" data-ok={String(result.ok)}>
          <p className={result.ok ? 'text-emerald-700 dark:text-emerald-400' : 'text-red-700 dark:text-red-400'}>
            {result.ok ? '✓' : '✗'} {summary(result)}
            {result.error ? ` (${result.error})` : ''}
          </p>
          <details>
            <summary className="cursor-pointer text-xs text-slate-600 dark:text-slate-400">
              {result.command.join(' ')}
            </summary>
            <pre className="mt-1 max-h-48 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs dark:bg-slate-800">
              {result.raw.join('\n')}
            </pre>
          </details>
        </div>
      )}
    </div>
  );
}
