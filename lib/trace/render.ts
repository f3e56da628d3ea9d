// A trace as text: the terminal's table (one line per hop: where, in → out, the rule, the
// kernel's agreement, the verdict) and Markdown for a ticket. Pure: the CLI prints the
// first, the page offers the second as a download.
import type { Diagnosis, IfaceFact, KernelAgreement, TraceFix, TraceHop, TraceResult } from '../model/trace';

function iface(f: IfaceFact | null): string {
  if (!f) return '';
  const state = f.state === 'up' || f.state === 'unknown' ? '' : ` (${f.state})`;
  return `${f.name}${state}`;
}

export function hopPath(h: TraceHop): string {
  const parts = [iface(h.in), h.bridge && h.bridge.name !== h.in?.name ? iface(h.bridge) : '', iface(h.out)].filter(
    Boolean,
  );
  return parts.join(' → ');
}

export function hopRule(h: TraceHop): string {
  const r = h.rule;
  switch (r.kind) {
    case 'route':
      return `${r.dst}${r.gateway ? ` via ${r.gateway}` : ''}${r.dev ? ` dev ${r.dev}` : ''}${r.ownedByPodnet ? ' (podnet)' : r.table === 'intended' ? ' (intended)' : ''}${h.firewall?.masquerade ? ', masqueraded' : ''}`;
    case 'local':
      return `local ${r.address}`;
    case 'lan':
      return `LAN to ${r.to}${r.host && r.host !== r.to ? ` (${r.host})` : ''}`;
    case 'none':
      return 'no route';
  }
}

export const KERNEL_WORDS: Record<KernelAgreement, string> = {
  agrees: 'agrees',
  disagrees: 'DISAGREES',
  'not-verified': 'not verified',
  pending: '…',
};

/** Where the fix runs, as a person types it: on a node, or in the lab through `podnet lab exec`. */
export type FixPrefix = (fix: TraceFix) => string[];

function fixLines(f: TraceFix, prefix?: FixPrefix): string[] {
  const lines = [`fix${f.node ? ` (on ${f.node})` : ''}: ${f.text}`];
  if (prefix) for (const l of prefix(f)) lines.push(`      ${l}`);
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** Hops after the first drop of their direction: the packet never gets there, so what
 *  they show is the path as it would be. */
export function beyondBreak(hops: TraceHop[]): Set<string> {
  const out = new Set<string>();
  let broken = false;
  for (const h of hops) {
    if (broken) out.add(h.id);
    if (h.verdict === 'dropped') broken = true;
  }
  return out;
}

function hopRows(hops: TraceHop[]): string[] {
  const rows = [['#', 'where', 'in → out', 'rule', 'kernel', 'verdict']];
  const beyond = beyondBreak(hops);
  for (const h of hops)
    rows.push([
      String(h.index),
      h.where.name,
      hopPath(h),
      hopRule(h),
      KERNEL_WORDS[h.kernel],
      beyond.has(h.id) ? `(${h.verdict}: not reached)` : h.verdict,
    ]);
  const lines = table(rows);
  const out = [`  ${lines[0]}`];
  hops.forEach((h, i) => {
    out.push(`  ${lines[i + 1]}`);
    if (beyond.has(h.id)) return;
    if (h.verdict !== 'forwarded' && h.verdict !== 'delivered') out.push(`      ${h.reason}`);
    else if (h.problem) out.push(`      ${h.reason}`);
    if (h.kernelSays) out.push(`      the kernel says: ${h.kernelSays}`);
  });
  return out;
}

function probeLines(r: TraceResult): string[] {
  const p = r.probe;
  if (!p) return [];
  const s = p.settings;
  const out = [
    `probe from ${r.from.pod}: ${s.count} pings every ${s.intervalMs} ms${s.largeSize ? `, 1 ping of ${s.largeSize + 28} bytes with DF` : ''}, traceroute${s.port ? `, TCP to port ${s.port}` : ''}; each within ${s.timeoutMs} ms`,
  ];
  if (p.ping)
    out.push(
      `  ping: ${p.ping.received}/${p.ping.sent} replies${p.ping.lossPct !== null ? ` (${p.ping.lossPct}% loss)` : ''}${p.ping.rttMs ? `, rtt min/avg/max ${p.ping.rttMs.min}/${p.ping.rttMs.avg}/${p.ping.rttMs.max} ms` : ''}${p.ping.error ? ` — ${p.ping.error}` : ''}`,
    );
  if (p.largePing)
    out.push(
      `  large ping (${s.largeSize! + 28} bytes, DF): ${p.largePing.ok ? 'reply' : `no reply — ${p.largePing.error}`}`,
    );
  if (p.tcp)
    out.push(
      `  tcp ${r.to.ip}:${p.tcp.port}: ${p.tcp.connected ? 'connected' : p.tcp.refused ? 'refused (reachable: the pod answered, nothing listens there)' : `failed — ${p.tcp.error}`}`,
    );
  if (p.skipped) out.push(`  traceroute and large ping skipped: ${p.skipped}`);
  if (p.traceroute) {
    const hops = p.matched
      .map((m) => `${m.ttl} ${m.address ?? '*'}${m.hop ? ` (hop ${m.hop.slice(1)})` : ''}`)
      .join(', ');
    out.push(`  traceroute: ${hops || 'no hops'}${p.traceroute.reached ? '' : ' — destination not reached'}`);
  }
  for (const e of p.errors) out.push(`  not run: ${e}`);
  return out;
}

function diagnosisLines(g: Diagnosis, r: TraceResult, prefix?: FixPrefix): string[] {
  const hop = [...r.forward, ...r.back].find((h) => h.id === g.hop);
  const at = hop ? ` at ${hop.direction === 'forward' ? '' : 'return '}hop ${hop.index} (${hop.where.name})` : '';
  const out = [`${g.severity.toUpperCase()}${at}: ${g.cause}`];
  if (g.expected) out.push(`  expected: ${g.expected}`);
  if (g.actual) out.push(`  actual:   ${g.actual}`);
  if (g.fix) out.push(...fixLines(g.fix, prefix).map((l) => `  ${l}`));
  if (g.heldFault) out.push(`  held by the lab: ${g.heldFault} ("podnet lab fault clear" heals every fault)`);
  return out;
}

export function endpointText(e: TraceResult['from']): string {
  return e.pod
    ? `${e.pod} (${e.ip ?? 'no IP'}${e.node ? `, ${e.node}` : ''})`
    : `${e.ip}${e.node ? ` (${e.node}'s pod subnet or address)` : ''}`;
}

/** The whole trace for a terminal. */
export function renderTraceText(r: TraceResult, prefix?: FixPrefix): string {
  const out = [`trace ${endpointText(r.from)} → ${endpointText(r.to)}   routing ${r.routing}`, '', 'there:'];
  out.push(...hopRows(r.forward));
  if (r.back.length) out.push('', 'back:', ...hopRows(r.back));
  const probe = probeLines(r);
  if (probe.length) out.push('', ...probe);
  out.push('');
  if (r.diagnoses.length === 0) out.push(`OK: ${r.summary}`);
  for (const g of r.diagnoses) out.push(...diagnosisLines(g, r, prefix));
  if (r.status === 'ok' && r.diagnoses.length) out.push(`OK: ${r.summary}`);
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.timings.totalMs !== null)
    out.push(
      `(path ${r.timings.pathMs} ms, kernel ${r.timings.kernelMs ?? '–'} ms, probe ${r.timings.probeMs ?? '–'} ms, total ${r.timings.totalMs} ms)`,
    );
  return out.join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

/** The trace as Markdown, for a ticket. */
export function renderTraceMarkdown(r: TraceResult, link: string | null): string {
  const out = [
    `## podnet trace: ${endpointText(r.from)} → ${endpointText(r.to)}`,
    '',
    `**${r.status.toUpperCase()}** — ${r.summary}`,
    '',
    `Traced ${r.startedAt} (routing ${r.routing}).${link ? ` Re-run: ${link} (against the network as it is then)` : ''}`,
    '',
  ];
  for (const [title, hops] of [
    ['There', r.forward],
    ['Back', r.back],
  ] as const) {
    if (!hops.length) continue;
    out.push(`### ${title}`, '', '| # | where | in → out | rule | kernel | verdict |', '|---|---|---|---|---|---|');
    for (const h of hops)
      out.push(
        `| ${h.index} | ${md(h.where.name)} | ${md(hopPath(h))} | ${md(hopRule(h))} | ${KERNEL_WORDS[h.kernel]} | ${h.verdict}: ${md(h.reason)} |`,
      );
    out.push('');
  }
  const probe = probeLines(r);
  if (probe.length) out.push('### Probe', '', ...probe.map((l) => `- ${l.trim()}`), '');
  if (r.diagnoses.length) {
    out.push('### Diagnosis', '');
    for (const g of r.diagnoses)
      out.push(
        ...diagnosisLines(g, r).map((l, i) =>
          i === 0
            ? `- ${l}`
            : `  ${l.trim().startsWith('fix') ? `${l.trim().replace(/^(fix[^:]*): (.*)$/, '$1: `$2`')}` : l.trim()}`,
        ),
      );
    out.push('');
  }
  for (const n of r.notes) out.push(`> ${n}`);
  return out.join('\n') + '\n';
}
