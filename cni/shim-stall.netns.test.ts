// The fast path when the agent cannot keep up: its verb threads held by hung processes, or
// the whole agent stopped (SIGSTOP) in the middle of an ADD. A runtime must not wait 120 s:
// every ADD ends within seconds, by the plugin (the agent answers "busy", or does not answer)
// or with error 11, and every process of a verb meets its deadline (agent/spawn-client.ts).
//
// The hung process is real: CNI_NETNS names a FIFO, so the `ip` that moves the pod's end of
// the veth there blocks in open(2) until someone opens the FIFO for writing, which nobody
// does (afterEach does, to free one that outlived a failed test).
import { spawnSync } from 'node:child_process';
import { constants, closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachmentFiles,
  leases,
  nodeFixture,
  podnetConf,
  servedBy,
  startAgent,
  startPlugin,
  type AgentProcess,
  type Outcome,
} from '../test/cni.js';
import { linkNames, nsPath } from '../test/netns.js';

/** The deadline of a verb's process (agent/spawn-client.ts CHILD_DEADLINE_MS), as the errors say it. */
const DEADLINE_S = 10;

/** Children of `pid` (all its threads'), by /proc. */
const childrenOf = (pid: number): number[] => {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
};
const comm = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
};

/** The processes the agent's spawn helpers are running now (each helper runs one at a time). */
const verbProcesses = (agent: AgentProcess): number[] =>
  childrenOf(agent.pid)
    .filter((pid) => comm(pid) === 'podnet-spawn')
    .flatMap(childrenOf);

describe('the fast path when the agent is stuck', () => {
  const f = nodeFixture(); // its namespaces and dirs go last: after the hooks below
  let sock: string;
  let fifo: string;
  let agent: AgentProcess | null = null;
  const pids: number[] = [];

  beforeEach(() => {
    sock = join(f.dirs.root, 'agent', 'cni.sock');
    fifo = join(f.dirs.root, 'hang');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  });
  afterEach(async () => {
    if (agent) {
      try {
        process.kill(agent.pid, 'SIGCONT'); // a stopped agent cannot die of SIGKILL until it runs
      } catch {
        /* gone */
      }
      await agent.stop('SIGKILL'); // its helpers see end of file and exit after their child
      agent = null;
    }
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL'); // plugins this test started, by PID
      } catch {
        /* gone */
      }
    }
    // Frees any `ip` still blocked opening the FIFO (a reader waiting in open counts as one).
    if (existsSync(fifo)) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {
        /* no reader left */
      }
    }
  });

  const conf = () => podnetConf({ cniVersion: '1.1.0', state: f.dirs.state, dataDir: f.dirs.ipam, agentSocket: sock });
  const start = (verb: 'ADD' | 'DEL', id: string, netns: string) => {
    const t0 = Date.now();
    const run = startPlugin('podnet', conf(), {
      command: verb,
      containerID: id,
      netns,
      ifname: 'eth0',
      args: `K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
      nodeNs: f.node,
    });
    pids.push(run.pid);
    return run.done.then((r) => ({ ...r, ms: Date.now() - t0 }));
  };
  /** The leased IPs and the IPs the attachment records hold: equal when nothing leaked. */
  const leasedVsAttached = () => {
    const attached = attachmentFiles(f.dirs.state, 'tnet').flatMap((file) =>
      (JSON.parse(readFileSync(join(f.dirs.state, 'attachments', 'tnet', file), 'utf8')) as { ips: string[] }).ips.map(
        (c) => c.split('/')[0]!,
      ),
    );
    return { leased: leases(f.dirs.ipam, 'tnet').sort(), attached: attached.sort() };
  };
  const warmUp = async () => {
    // The bridge exists before anything hangs: a hung ADD then only adds its veth.
    const r = await start('ADD', 'warm', nsPath(f.ns.add('warm')));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(f.dirs.state).get('ADD warm')).toBe('agent');
  };
  /** Waits until `n` verb processes hang in the agent; returns their PIDs. */
  const hung = async (n: number): Promise<number[]> => {
    await expect.poll(() => verbProcesses(agent!).length, { interval: 20, timeout: 10_000 }).toBe(n);
    return verbProcesses(agent!);
  };
  /** Asks the agent as a shim does, but never commits (it then runs nothing): its answer. */
  const ask = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const c = connect(sock);
      let got = '';
      c.on('data', (d) => {
        got += d;
        if (got.includes('\n')) {
          resolve(got.slice(0, got.indexOf('\n')));
          c.destroy();
        }
      });
      c.on('error', reject);
      c.write(
        JSON.stringify({
          v: 1,
          netns: readlinkSync(`/proc/${agent!.pid}/ns/net`),
          heartbeat: true,
          env: { CNI_COMMAND: 'VERSION' },
          stdin: '{}',
        }) + '\n',
      );
    });
  const twentyAdds = (): Promise<(Outcome & { ms: number })[]> =>
    Promise.all(Array.from({ length: 20 }, (_, i) => start('ADD', `p${i}`, nsPath(f.ns.add(`p${i}`)))));
  const delAll = async (ids: string[]) => {
    for (const r of await Promise.all(ids.map((id) => start('DEL', id, ''))))
      expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(leasedVsAttached()).toEqual({ leased: [], attached: [] });
    expect(linkNames(f.node).filter((l) => l.startsWith('veth'))).toEqual([]);
  };

  it('verb threads held by hung `ip`s: the agent answers "busy" and 20 ADDs go to the plugin at once; the hung ones are killed at their deadline and fail clearly', async () => {
    agent = await startAgent(f.node, sock, { workers: 2 });
    await warmUp();
    const stuck = [start('ADD', 'h0', fifo), start('ADD', 'h1', fifo)];
    const ipPids = await hung(2);
    expect(ipPids.map(comm)).toEqual(['ip', 'ip']);
    // Once the stuck verbs have overrun what the agent has timed, it predicts a long wait.
    await expect
      .poll(ask, { interval: 200, timeout: 20_000 })
      .toMatch(/^\{"v":1,"ack":false,"error":"busy: a verb would wait/);

    const adds = await twentyAdds();
    for (const r of adds) {
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.ms, 'an ADD waited for the stuck agent').toBeLessThan(30_000);
      // Refused as busy; on a loaded machine the agent's main thread may also be late to answer at all.
      expect(r.stderr).toMatch(
        /"why":"(the agent refused the request: .*busy: a verb would wait|no acknowledgement within 1 s)/,
      );
    }
    expect(
      adds.filter((r) => /busy: a verb would wait/.test(r.stderr)).length,
      'ADDs the agent refused as busy',
    ).toBeGreaterThan(0);
    const by = servedBy(f.dirs.state);
    expect(Array.from({ length: 20 }, (_, i) => by.get(`ADD p${i}`))).toEqual(Array(20).fill('plugin'));
    expect(new Set(adds.map((r) => r.json.ips[0].address)).size).toBe(20);
    expect(agent.log()).toMatch(/CNI socket refused a request: busy/);

    // The hung ADDs: their `ip` killed by PID at the deadline, the verb failed and undone.
    for (const r of await Promise.all(stuck)) {
      expect(r.status).toBe(1);
      expect(r.json).toMatchObject({ code: 100, msg: 'a kernel operation failed' });
      expect(r.json.details).toMatch(
        new RegExp(`ip did not finish within ${DEADLINE_S} s: killed \\(pid (${ipPids.join('|')})\\) at its deadline`),
      );
      expect(r.ms).toBeLessThan(60_000);
    }
    for (const pid of ipPids) expect(comm(pid), `pid ${pid} still runs`).not.toBe('ip');
    expect(verbProcesses(agent)).toEqual([]);
    expect(leasedVsAttached().leased).toHaveLength(21);
    expect(leasedVsAttached().leased).toEqual(leasedVsAttached().attached);

    // And the agent serves again.
    const again = await start('ADD', 'after', nsPath(f.ns.add('after')));
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(servedBy(f.dirs.state).get('ADD after')).toBe('agent');
    await delAll(['warm', 'after', 'h0', 'h1', ...Array.from({ length: 20 }, (_, i) => `p${i}`)]);
  }, 120_000);

  it('the agent stopped (SIGSTOP) during an ADD: that ADD fails with 11 within seconds, 20 more go to the plugin, leases equal attachments after SIGCONT', async () => {
    agent = await startAgent(f.node, sock, { workers: 2 });
    await warmUp();
    const during = start('ADD', 'h0', fifo);
    await hung(1);
    process.kill(agent.pid, 'SIGSTOP');

    const adds = await twentyAdds();
    for (const r of adds) {
      expect(r.ms, 'an ADD waited for the stopped agent').toBeLessThan(30_000);
      if (r.status !== 0) expect(r.json?.code, r.stdout + r.stderr).toBe(11);
    }
    const stopped = await during;
    expect(stopped.status).toBe(1);
    expect(stopped.json).toMatchObject({ code: 11, msg: expect.stringMatching(/took the ADD but went silent/) });
    expect(stopped.ms, 'the committed ADD waited for the stopped agent').toBeLessThan(30_000);
    const served = adds.filter((r) => r.status === 0).length;
    expect(served, 'ADDs the plugin did while the agent was stopped').toBeGreaterThan(0);

    process.kill(agent.pid, 'SIGCONT');
    // The agent goes on: the hung ADD fails at its deadline and is undone; nothing leaks.
    await expect.poll(() => verbProcesses(agent!).length, { interval: 100, timeout: 30_000 }).toBe(0);
    await expect.poll(() => leasedVsAttached().leased, { interval: 100, timeout: 15_000 }).toHaveLength(1 + served);
    expect(leasedVsAttached().leased).toEqual(leasedVsAttached().attached);
    expect(linkNames(f.node).filter((l) => l.startsWith('veth'))).toHaveLength(1 + served);
    const again = await start('ADD', 'after', nsPath(f.ns.add('after')));
    expect(again.status, again.stdout + again.stderr).toBe(0);
    expect(servedBy(f.dirs.state).get('ADD after')).toBe('agent');
    await delAll(['warm', 'after', 'h0', ...Array.from({ length: 20 }, (_, i) => `p${i}`)]);
  }, 120_000);
});
