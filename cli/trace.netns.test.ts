// podnet trace on a real lab, as a user runs it: for every fault the lab can make, the
// trace names the failing hop and the cause, the fix it prints heals the path (run
// exactly as printed, through `podnet lab exec`), a route fix leaves the route podnet's
// again, and after `lab fault clear` the path is healthy. Router mode: a healthy trace
// names the router hop, not verified. Hostile arguments run nothing.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceResult } from '../lib/model/trace.js';

const labId = `t${randomBytes(3).toString('hex')}`;
const routerLab = `t${randomBytes(3).toString('hex')}`;
interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** bin/podnet as a child process, awaited: a synchronous spawn would block the test worker
 *  for the many seconds a fault cycle takes. `--lab-id` goes before any "--". */
function podnet(args: string[], id = labId): Promise<Ran> {
  const dash = args.indexOf('--');
  const argv = dash < 0 ? [...args, '--lab-id', id] : [...args.slice(0, dash), '--lab-id', id, ...args.slice(dash)];
  return new Promise((resolve) => {
    const child = spawn('bin/podnet', argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

async function trace(
  from: string,
  to: string,
  ...extra: string[]
): Promise<{ status: number | null; result: TraceResult; stderr: string }> {
  const r = await podnet(['trace', from, to, '--json', ...extra]);
  let result: TraceResult;
  try {
    result = JSON.parse(r.stdout) as TraceResult;
  } catch {
    throw new Error(`podnet trace ${from} ${to} printed no JSON (exit ${r.status}): ${r.stdout}\n${r.stderr}`);
  }
  return { status: r.status, result, stderr: r.stderr };
}

/** Runs a diagnosis' fix the way the CLI tells a lab user to: `podnet lab exec NODE -- CMD`. */
async function runFix(result: TraceResult): Promise<void> {
  const fix = result.diagnoses[0]?.fix;
  expect(fix, JSON.stringify(result.diagnoses)).toBeTruthy();
  for (const argv of fix!.commands) {
    const r = await podnet(['lab', 'exec', fix!.node!, '--', ...argv]);
    expect(r.status, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
  }
}

const hopOf = (r: TraceResult, id: string | null) => [...r.forward, ...r.back].find((h) => h.id === id);

describe('podnet trace on a lab', () => {
  beforeAll(async () => {
    const up = await podnet(['lab', 'up']);
    if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  });
  afterAll(async () => {
    await podnet(['lab', 'down']);
    await podnet(['lab', 'down'], routerLab);
    const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(left).not.toContain(`podnet-${labId}-`);
    expect(left).not.toContain(`podnet-${routerLab}-`);
  });

  it('a healthy cross-node path: every hop forwarded, the kernel agrees, the probe gets through (exit 0)', async () => {
    const { status, result } = await trace('web-1', 'web-3');
    expect(status).toBe(0);
    expect(result.status).toBe('ok');
    expect(result.forward.map((h) => h.where.name)).toEqual([
      'default/web-1',
      'node1',
      'LAN',
      'node2',
      'default/web-3',
    ]);
    expect(result.back.map((h) => h.where.name)).toEqual(['default/web-3', 'node2', 'LAN', 'node1', 'default/web-1']);
    for (const h of [...result.forward, ...result.back])
      expect(h.kernel, `${h.id} ${h.kernelSays}`).toBe(h.role === 'lan' ? 'not-verified' : 'agrees');
    expect(result.probe).toMatchObject({
      reachable: true,
      ping: { ok: true, received: 3 },
      largePing: { ok: true },
      traceroute: { reached: true },
    });
    expect(result.probe!.matched.map((m) => m.hop)).toEqual(['f2', 'f4', 'f5']);
  });

  it('a TCP port: refused counts as reachable; the human table names each hop', async () => {
    const { status, result } = await trace('web-1', 'web-4', '--port', '8080');
    expect(status).toBe(0);
    expect(result.probe?.tcp).toMatchObject({ connected: false, refused: true, ok: true });
    const text = await podnet(['trace', 'web-1', 'web-4']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      /^ {2}2 +node1 +veth\w+ → v-net-0 → eth0 +10\.244\.2\.0\/24 via 192\.168\.1\.12 dev eth0 \(podnet\) +agrees +forwarded$/m,
    );
    expect(text.stdout).toContain('OK: default/web-1 reaches default/web-4');
  });

  const faults: { args: string[]; from: string; to: string; where: string; kind: string; route?: string }[] = [
    {
      args: ['missing-route', '--node', 'node1'],
      from: 'web-1',
      to: 'web-3',
      where: 'node1',
      kind: 'route-missing',
      route: '10.244.2.0/24',
    },
    {
      args: ['wrong-gateway', '--node', 'node1'],
      from: 'web-1',
      to: 'web-3',
      where: 'node1',
      kind: 'route-wrong-gateway',
      route: '10.244.2.0/24',
    },
    { args: ['bridge-down', '--node', 'node2'], from: 'web-1', to: 'web-3', where: 'node2', kind: 'bridge-down' },
    { args: ['veth-down', '--pod', 'web-3'], from: 'web-1', to: 'web-3', where: 'node2', kind: 'veth-down' },
    { args: ['veth-detached', '--pod', 'web-1'], from: 'web-1', to: 'web-3', where: 'node1', kind: 'veth-detached' },
    { args: ['no-forwarding', '--node', 'node1'], from: 'web-1', to: 'web-5', where: 'node1', kind: 'forwarding-off' },
    { args: ['forward-drop', '--node', 'node3'], from: 'web-1', to: 'web-5', where: 'node3', kind: 'forward-drop' },
    { args: ['mtu-mismatch', '--node', 'node2'], from: 'web-1', to: 'web-3', where: 'LAN', kind: 'mtu-mismatch' },
  ];
  for (const f of faults) {
    it(`${f.args.join(' ')}: found at ${f.where}, fixed by the printed fix, healthy after clear`, async () => {
      const made = await podnet(['lab', 'fault', ...f.args]);
      expect(made.status, made.stderr).toBe(0);
      try {
        const broken = await trace(f.from, f.to);
        expect(broken.status, JSON.stringify(broken.result.diagnoses)).toBe(1);
        const first = broken.result.diagnoses[0]!;
        expect(first.kind).toBe(f.kind);
        expect(hopOf(broken.result, first.hop)?.where.name).toBe(f.where);
        expect(first.heldFault).toContain(f.args[0]);
        if (f.kind === 'mtu-mismatch') {
          // A small ping passes, the large one does not.
          expect(broken.result.probe).toMatchObject({ ping: { ok: true }, largePing: { ok: false } });
        }
        await runFix(broken.result);
        const healed = await trace(f.from, f.to);
        expect(healed.status, JSON.stringify(healed.result.diagnoses)).toBe(0);
        if (f.route) {
          // The route the fix put back carries podnet's protocol: the agent owns it again.
          const routes = await podnet(['lab', 'exec', f.where, '--', 'ip', '-j', 'route', 'show', f.route]);
          expect(JSON.parse(routes.stdout)).toEqual([expect.objectContaining({ dst: f.route, protocol: '151' })]);
        }
      } finally {
        const cleared = await podnet(['lab', 'fault', 'clear']);
        expect(cleared.status, cleared.stderr).toBe(0);
      }
      expect((await trace(f.from, f.to)).status).toBe(0);
    });
  }

  it('stale-lease: a destination no pod holds is named as a stale lease, and removing it frees the address', async () => {
    const made = await podnet(['lab', 'fault', 'stale-lease', '--node', 'node2', '--json']);
    expect(made.status, made.stderr).toBe(0);
    const ip = (JSON.parse(made.stdout) as { target: string }).target;
    try {
      const broken = await trace('web-1', ip);
      expect(broken.status).toBe(1);
      expect(broken.result.diagnoses[0]).toMatchObject({
        kind: 'no-pod-for-ip',
        cause: expect.stringContaining('stale lease'),
      });
      expect(hopOf(broken.result, broken.result.diagnoses[0]!.hop)?.where.name).toBe('node2');
      await runFix(broken.result);
      const after = await trace('web-1', ip);
      // Nothing holds the address any more: still no pod there, but no lease either.
      expect(after.result.diagnoses[0]).toMatchObject({ kind: 'no-pod-for-ip', cause: `no pod on node2 holds ${ip}` });
    } finally {
      expect((await podnet(['lab', 'fault', 'clear'])).status).toBe(0);
    }
  });

  it('lab fault list shows what is held; a second identical fault is refused; clear empties it', async () => {
    expect((await podnet(['lab', 'fault', 'bridge-down', '--node', 'node3'])).status).toBe(0);
    try {
      const list = JSON.parse((await podnet(['lab', 'fault', 'list', '--json'])).stdout);
      expect(list).toEqual([expect.objectContaining({ kind: 'bridge-down', node: 'node3' })]);
      const again = await podnet(['lab', 'fault', 'bridge-down', '--node', 'node3']);
      expect(again.status).toBe(1);
      expect(again.stderr).toMatch(/already holds bridge-down on node3/);
      expect(JSON.parse((await podnet(['lab', 'status', '--json'])).stdout).faults).toHaveLength(1);
    } finally {
      await podnet(['lab', 'fault', 'clear']);
    }
    expect(JSON.parse((await podnet(['lab', 'fault', 'list', '--json'])).stdout)).toEqual([]);
    const bad = await podnet(['lab', 'fault', 'unplug-everything']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/unknown fault "unplug-everything": one of missing-route/);
  });

  it('hostile arguments are refused with exit 2 and nothing runs', async () => {
    for (const args of [
      ['web-1', 'web-3;reboot'],
      ['web-1\nip route del default', 'web-3'],
      ['web-1', '$(touch /tmp/podnet-pwned)'],
      ['web-1', 'web-3', '--port', '22;id'],
      ['web-1', '10.244.2.2/24'],
    ]) {
      const r = await podnet(['trace', ...args]);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(spawnSync('test', ['-e', '/tmp/podnet-pwned']).status).toBe(1);
    expect((await podnet(['trace', 'nosuch', 'web-3'])).stderr).toMatch(/no pod default\/nosuch in this cluster/);
  });

  it('router mode: a healthy trace names the router hop, not verified', async () => {
    const up = await podnet(['lab', 'up', '--routing', 'router', '--nodes', '2', '--pods-per-node', '1'], routerLab);
    expect(up.status, up.stderr).toBe(0);
    const r = await podnet(['trace', 'web-1', 'web-2', '--json'], routerLab);
    expect(r.status, r.stdout).toBe(0);
    const result = JSON.parse(r.stdout) as TraceResult;
    const router = result.forward.find((h) => h.role === 'router')!;
    expect(router).toMatchObject({
      where: { name: 'router 192.168.1.1' },
      kernel: 'not-verified',
      verdict: 'forwarded',
    });
    expect(result.forward[1]!.rule).toMatchObject({ dst: 'default', gateway: '192.168.1.1' });
    expect(result.probe!.matched.some((m) => m.address === '192.168.1.1' && m.hop === router.id)).toBe(true);

    // The router forgets node2's pods: it has no agent, so its own ICMP answer names it.
    expect((await podnet(['lab', 'fault', 'missing-route', '--pod', 'web-2'], routerLab)).status).toBe(0);
    try {
      const broken = JSON.parse((await podnet(['trace', 'web-1', 'web-2', '--json'], routerLab)).stdout) as TraceResult;
      expect(broken.status).toBe('broken');
      expect(broken.diagnoses[0]).toMatchObject({
        kind: 'route-missing',
        hop: router.id,
        fix: { node: 'router', text: 'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0' },
      });
      expect(broken.diagnoses[0]!.heldFault).toContain('missing-route on router');
    } finally {
      expect((await podnet(['lab', 'fault', 'clear'], routerLab)).status).toBe(0);
    }
    expect((await podnet(['trace', 'web-1', 'web-2'], routerLab)).status).toBe(0);
  });
});
