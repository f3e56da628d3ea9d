// GC while ADDs are under way. A runtime's valid-attachments list names only the ADDs it
// has seen succeed, so GC must tell an attachment being built from a stale one: every ADD
// that succeeded keeps its veth, its lease and its record, however GC runs against it;
// a stale attachment is still collected meanwhile; and no ADD, failed or killed, leaves a
// pending file behind once DEL or GC has run.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  attachmentFiles,
  cniEnv,
  leases,
  nodeFixture,
  pluginDir,
  podnetConf,
  runPlugin,
  startPlugin,
  type Invocation,
  type Outcome,
} from '../test/cni.js';
import { execIn, ipIn, linkNames, nsPath } from '../test/netns.js';
import { hostVethName } from './podnet/names.js';

/** A plugin run as a runtime runs it, with its config written once `config()` can say it:
 *  `onResult` fires as soon as a result arrives on stdout, which is when a runtime learns
 *  the attachment exists. */
function start(
  config: () => unknown,
  inv: Invocation,
  onResult: () => void = () => {},
  writeAfterMs = 0,
): { pid: number; done: Promise<Outcome> } {
  const child = spawn('nsenter', [`--net=/run/netns/${inv.nodeNs}`, '--', join(pluginDir(), 'podnet')], {
    env: cniEnv(inv),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    try {
      if (JSON.parse(stdout).ips) onResult();
    } catch {
      /* not all of it yet */
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  child.stdin.on('error', () => {}); // a plugin that failed before reading
  setTimeout(() => child.stdin.end(JSON.stringify(config())), writeAfterMs);
  const done = new Promise<Outcome>((resolve) =>
    child.on('close', (code) => {
      let json: any = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* an error body or nothing */
      }
      resolve({ status: code ?? -1, json, stdout, stderr });
    }),
  );
  return { pid: child.pid!, done };
}

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('GC against ADDs under way', () => {
  const f = nodeFixture();
  const conf = (extra: Record<string, unknown> = {}) =>
    podnetConf({ cniVersion: '1.1.0', state: f.dirs.state, dataDir: f.dirs.ipam, ...extra });
  const inv = (id: string, pod: string, command: Invocation['command'] = 'ADD'): Invocation => ({
    command,
    containerID: id,
    netns: nsPath(pod),
    ifname: 'eth0',
    nodeNs: f.node,
  });
  const gcConf = (valid: Iterable<string>) =>
    conf({ 'cni.dev/valid-attachments': [...valid].map((containerID) => ({ containerID, ifname: 'eth0' })) });
  const gc = (valid: string[]) => startPlugin('podnet', gcConf(valid), { command: 'GC', nodeNs: f.node }).done;
  // A runtime that makes its list after it started GC (a little after: what it had read by
  // then is in it): every result out before GC began is on the list or stale by intent.
  const gcAsRuntime = (known: Set<string>) =>
    start(() => gcConf(known), { command: 'GC', nodeNs: f.node }, undefined, 30).done;

  it('GC hammering during 50 concurrent ADDs: every ADD that succeeded keeps its veth, lease and record', async () => {
    // A stale attachment from before: GC must still collect it while the ADDs run.
    const old = f.ns.add('old');
    expect(runPlugin('podnet', conf(), inv('stale-old', old)).status).toBe(0);

    const pods = Array.from({ length: 50 }, (_, i) => f.ns.add(`p${i}`));
    const known = new Set<string>(); // what the runtime has seen succeed
    let running = pods.length;
    const adds = pods.map((pod, i) => {
      const id = `c${i}`;
      const run = start(
        () => conf(),
        inv(id, pod),
        () => known.add(id),
      );
      return run.done.finally(() => running--);
    });

    // Two GC loops at once, each starting the next GC as soon as its last one ends.
    const gcs: Outcome[] = [];
    let duringAdds = 0;
    const hammer = async () => {
      while (running > 0) {
        await nextTurn();
        duringAdds++;
        gcs.push(await gcAsRuntime(known));
      }
    };
    await Promise.all([hammer(), hammer()]);
    const results = await Promise.all(adds);
    for (const r of gcs) expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(duringAdds).toBeGreaterThanOrEqual(4);

    const ok = results.map((r, i) => ({ r, id: `c${i}` })).filter(({ r }) => r.status === 0);
    // On a loaded 2-core machine an ADD may time out on the lease lock (code 11, and it must
    // leave nothing: checked below); none may fail otherwise.
    for (const { status, json, stdout } of results) if (status !== 0) expect(json?.code, stdout).toBe(11);
    expect(ok.length).toBeGreaterThanOrEqual(10);
    const ports = ipIn<{ ifname: string; master?: string; flags: string[] }>(f.node, [
      'link',
      'show',
      'master',
      'v-net-0',
    ]);
    const held = leases(f.dirs.ipam, 'tnet');
    for (const { r, id } of ok) {
      const veth = ports.find((p) => p.ifname === hostVethName(id, 'eth0'));
      expect(veth, `${id}'s veth`).toBeDefined();
      expect(veth!.flags).toContain('UP');
      expect(held, `${id}'s lease`).toContain((r.json.ips[0].address as string).split('/')[0]);
    }
    // Exactly the successful ADDs remain: leases, records, veths; no pending file; the old one is gone.
    expect(held).toHaveLength(ok.length);
    expect(attachmentFiles(f.dirs.state, 'tnet').sort()).toEqual(ok.map(({ id }) => `${id}@eth0.json`).sort());
    expect(ports.map((p) => p.ifname).sort()).toEqual(ok.map(({ id }) => hostVethName(id, 'eth0')).sort());
    expect(linkNames(old)).toEqual(['lo']);
    // The kernel agrees: a sample pod holds its address and reaches the gateway.
    const sample = ok[ok.length - 1]!;
    const pod = pods[Number(sample.id.slice(1))]!;
    expect(execIn(pod, ['ip', '-br', 'addr', 'show', 'eth0']).out).toContain(sample.r.json.ips[0].address);
    expect(execIn(pod, ['ping', '-c1', '-W2', '10.244.1.1']).status).toBe(0);
  }, 300_000);

  it('a failed ADD leaves no pending file, and GC then collects nothing of it', async () => {
    const pod = f.ns.add('taken');
    execIn(pod, ['ip', 'link', 'add', 'eth0', 'type', 'bridge']); // the pod end cannot take the name
    const r = runPlugin('podnet', conf(), inv('fails', pod));
    expect(r.status).toBe(1);
    expect(r.json.code).toBe(100);
    expect(r.json.msg).toMatch(/interface "eth0" already exists in/);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual([]);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
    expect((await gc([])).status).toBe(0);
  });

  it('an ADD killed midway: its pending file does not protect it, GC alone removes veth, lease and file', async () => {
    const pod = f.ns.add('victim');
    let result = false;
    const run = start(
      () => conf(),
      inv('victim', pod),
      () => (result = true),
    );
    // Kill once it has announced itself (its pending file), before it could finish.
    const deadline = Date.now() + 20_000;
    while (!attachmentFiles(f.dirs.state, 'tnet').some((n) => n.endsWith('.pending')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 2));
    try {
      process.kill(run.pid, 'SIGKILL');
    } catch {
      /* finished first */
    }
    await run.done;
    if (result) return; // it finished before the kill: nothing to judge here
    const g = await gc([]);
    expect(g.status, g.stdout).toBe(0);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual([]);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
    expect(linkNames(f.node).filter((l) => l.startsWith('veth'))).toEqual([]);
    expect(linkNames(pod)).toEqual(['lo']);
  });
});
