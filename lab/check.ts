// podnet check: the Kubernetes network model, verified on the running lab with real
// traffic. Every pod has a unique IP (the kernel's, read from inside the pod); every pod
// reaches every other pod (ping, and a TCP connection); the receiving pod sees the
// sender's own IP (no NAT); a pod reaching the outside host is seen there as its node.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { sleepSync } from '../lib/proc/sleep.js';
import { podRef, type LabStatus } from '../lib/model/lab.js';
import { pool } from '../lib/proc/pool.js';

export interface PairResult {
  from: string;
  to: string;
  toIp: string;
  ping: boolean;
  tcp: boolean;
  /** the source address the receiver saw; null when the connection failed */
  seenAs: string | null;
  expected: string;
  ok: boolean;
  why: string | null;
}

export interface CheckReport {
  ok: boolean;
  pods: { pod: string; node: string; ip: string | null; kernelIp: string | null }[];
  duplicates: { ip: string; pods: string[] }[];
  pairs: PairResult[];
  outside: PairResult[];
  /** pairs left out on a big lab (sampled), so a reader knows the matrix is partial */
  sampled: boolean;
  failures: string[];
}

/** Above this many pods, each pod checks one pod per node instead of every pod. */
const FULL_MATRIX_LIMIT = 40;

function podEth0Ip(netns: string): string | null {
  const r = spawnSync('ip', ['-n', netns, '-j', '-4', 'addr', 'show', 'dev', 'eth0'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const links = JSON.parse(r.stdout || '[]') as { addr_info?: { local: string }[] }[];
  return links[0]?.addr_info?.[0]?.local ?? null;
}

/** A TCP server in a namespace that answers every connection with the peer's address. */
function startEchoPeer(netns: string, port: number): ChildProcess {
  return spawn(
    'nsenter',
    [`--net=/run/netns/${netns}`, '--', 'socat', `TCP-LISTEN:${port},reuseaddr,fork`, 'SYSTEM:echo $SOCAT_PEERADDR'],
    { stdio: 'ignore' },
  );
}

function waitListening(netns: string, port: number): void {
  for (let i = 0; i < 50; i++) {
    const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, '--', 'ss', '-Htln', `sport = :${port}`], {
      encoding: 'utf8',
    });
    if (r.stdout.trim()) return;
    sleepSync(50);
  }
}

/** From one namespace, ping and connect to each target in one shell: one process per source. */
function probeFrom(
  netns: string,
  targets: string[],
  port: number,
): Promise<Map<string, { ping: boolean; seen: string | null }>> {
  const script = `for d in ${targets.join(' ')}; do
  if ping -c1 -W1 -q "$d" >/dev/null 2>&1; then p=1; else p=0; fi
  s=$(socat -T2 - "TCP:$d:${port},connect-timeout=2" </dev/null 2>/dev/null | head -n1)
  echo "$d $p \${s:--}"
done`;
  return new Promise((resolve) => {
    const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', () => {
      const results = new Map<string, { ping: boolean; seen: string | null }>();
      for (const line of out.trim().split('\n')) {
        const [dst, ping, seen] = line.split(' ');
        if (dst) results.set(dst, { ping: ping === '1', seen: seen && seen !== '-' ? seen : null });
      }
      resolve(results);
    });
  });
}

function judge(r: Omit<PairResult, 'ok' | 'why'>): PairResult {
  const why =
    !r.ping && !r.tcp
      ? 'unreachable: no reply to ping, TCP connection failed'
      : !r.tcp
        ? 'TCP connection failed (ping answered)'
        : !r.ping
          ? 'no reply to ping (TCP worked)'
          : r.seenAs !== r.expected
            ? `seen as ${r.seenAs}, expected ${r.expected}${r.expected.startsWith('10.244.') ? ' (NAT between pods)' : ''}`
            : null;
  return { ...r, ok: why === null, why };
}

export async function runCheck(
  lab: LabStatus,
  progress: (msg: string) => void,
  opts: { full?: boolean } = {},
): Promise<CheckReport> {
  const failures: string[] = [];
  const pods = lab.pods.map((p) => ({ pod: podRef(p), node: p.node, ip: p.ip, kernelIp: podEth0Ip(p.netns) }));
  for (const p of pods) {
    if (!p.kernelIp) failures.push(`${p.pod} has no IPv4 address on eth0`);
    else if (p.ip && p.kernelIp !== p.ip) failures.push(`${p.pod} has ${p.kernelIp} on eth0, the lab recorded ${p.ip}`);
  }
  const byIp = new Map<string, string[]>();
  for (const p of pods) if (p.kernelIp) byIp.set(p.kernelIp, [...(byIp.get(p.kernelIp) ?? []), p.pod]);
  const duplicates = [...byIp].filter(([, list]) => list.length > 1).map(([ip, list]) => ({ ip, pods: list }));
  for (const d of duplicates) failures.push(`${d.ip} is held by ${d.pods.join(' and ')}`);

  const sampled = !opts.full && lab.pods.length > FULL_MATRIX_LIMIT;
  const targetsOf = (i: number) => {
    const others = lab.pods.filter((_, j) => j !== i);
    if (!sampled) return others;
    const seen = new Set<string>();
    return others.filter((p) => (seen.has(p.node) ? false : (seen.add(p.node), true)));
  };

  const port = 20000 + Math.floor(Math.random() * 20000);
  const servers: ChildProcess[] = [];
  try {
    const listeners = [...lab.pods.map((p) => p.netns), lab.outside.netns];
    for (const ns of listeners) servers.push(startEchoPeer(ns, port));
    for (const ns of listeners) waitListening(ns, port);
    progress(`probing from ${lab.pods.length} pods (ping and TCP to port ${port})`);
    const nodeIpOf = new Map(lab.nodes.map((n) => [n.name, n.ip]));
    const pairs: PairResult[] = [];
    const outside: PairResult[] = [];
    await pool(lab.pods, 4, async (src, i) => {
      const targets = targetsOf(i).filter((t) => t.ip);
      const res = await probeFrom(src.netns, [...targets.map((t) => t.ip!), lab.outside.ip], port);
      for (const t of targets) {
        const r = res.get(t.ip!) ?? { ping: false, seen: null };
        pairs.push(
          judge({
            from: podRef(src),
            to: podRef(t),
            toIp: t.ip!,
            ping: r.ping,
            tcp: r.seen !== null,
            seenAs: r.seen,
            expected: src.ip ?? '?',
          }),
        );
      }
      const o = res.get(lab.outside.ip) ?? { ping: false, seen: null };
      outside.push(
        judge({
          from: podRef(src),
          to: 'outside',
          toIp: lab.outside.ip,
          ping: o.ping,
          tcp: o.seen !== null,
          seenAs: o.seen,
          expected: nodeIpOf.get(src.node) ?? '?',
        }),
      );
    });
    const order = new Map(lab.pods.map((p, i) => [podRef(p), i]));
    const byOrder = (a: PairResult, b: PairResult) =>
      order.get(a.from)! - order.get(b.from)! || (order.get(a.to) ?? 0) - (order.get(b.to) ?? 0);
    pairs.sort(byOrder);
    outside.sort(byOrder);
    for (const r of [...pairs, ...outside]) if (!r.ok) failures.push(`${r.from} → ${r.to} (${r.toIp}): ${r.why}`);
    return { ok: failures.length === 0, pods, duplicates, pairs, outside, sampled, failures };
  } finally {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGTERM');
  }
}

/** The matrix for a terminal: rows send, columns receive. */
export function renderMatrix(report: CheckReport): string {
  const names = report.pods.map((p) => p.pod);
  const width = Math.max(6, ...names.map((n) => n.length));
  const cell = (from: string, to: string) => {
    if (from === to) return '·';
    const r = report.pairs.find((x) => x.from === from && x.to === to);
    return !r ? ' ' : r.ok ? '✓' : !r.tcp && !r.ping ? '✗' : r.tcp && r.ping ? 'N' : '!';
  };
  const col = (s: string) => s.padEnd(3);
  const lines = [`${''.padEnd(width)}  ${names.map((_, i) => col(String(i + 1))).join('')}  outside`];
  names.forEach((from, i) => {
    const o = report.outside.find((x) => x.from === from);
    const out = !o ? '' : `${o.ok ? '✓' : o.tcp ? 'N' : '✗'} ${o.seenAs ? `seen as ${o.seenAs}` : ''}`;
    lines.push(
      `${String(i + 1).padStart(2)} ${from.padEnd(width - 3)}  ${names.map((to) => col(cell(from, to))).join('')}  ${out}`,
    );
  });
  lines.push(
    '',
    'pods: ✓ reached and seen with its own IP   outside: ✓ seen as its node (masqueraded)',
    '✗ unreachable   N seen as an unexpected address   ! ping or TCP failed   · self',
  );
  return lines.join('\n');
}
