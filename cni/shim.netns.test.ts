// The CNI fast path: `podnet` is the C shim (cni/shim/podnet-shim.c), which hands the verb
// to the node agent's CNI socket (agent/cni-socket/) when the config names agentSocket,
// and otherwise — or when anything fails before the agent commits — runs the Node plugin
// (podnet-node) itself. The agent runs as it does on a node: a resident Node process in the
// node's network namespace (test/cni.ts startAgent), killed by PID after each test.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachmentFiles,
  leases,
  pluginDir,
  podnetConf,
  runPlugin,
  servedBy,
  startAgent,
  startPlugin,
  tempDirs,
  type AgentProcess,
  type Outcome,
} from '../test/cni.js';
import { ipIn, linkNames, Namespaces, nsPath } from '../test/netns.js';
import { hostVethName } from './podnet/names.js';

interface Link {
  ifname: string;
  flags: string[];
  mtu: number;
  master?: string;
  address: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
  linkinfo?: { info_slave_data?: { hairpin?: boolean } };
}

/** A result with what differs between two attachments by design (MACs, the pod's path) blanked. */
function normalized(result: unknown): unknown {
  return JSON.parse(JSON.stringify(result), (k, v) =>
    k === 'mac' ? 'MAC' : k === 'sandbox' || k === 'netns' ? 'SANDBOX' : k === 'createdAt' ? 'TIME' : v,
  );
}

/** The kernel's view of one attachment, from the node's and the pod's side. */
function kernelState(node: string, pod: string, containerID: string) {
  const veth = hostVethName(containerID, 'eth0');
  const inet = (l: Link | undefined) =>
    (l?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  const bridge = ipIn<Link>(node, ['-d', 'addr', 'show', 'dev', 'v-net-0'])[0];
  const host = ipIn<Link>(node, ['-d', 'link', 'show', 'dev', veth])[0];
  const eth0 = ipIn<Link>(pod, ['-d', 'addr', 'show', 'dev', 'eth0'])[0];
  return {
    bridge: { up: bridge?.flags.includes('UP'), inet: inet(bridge) },
    host: {
      master: host?.master,
      up: host?.flags.includes('UP'),
      mtu: host?.mtu,
      hairpin: host?.linkinfo?.info_slave_data?.hairpin,
    },
    pod: { up: eth0?.flags.includes('UP'), mtu: eth0?.mtu, inet: inet(eth0) },
    routes: ipIn<{ dst: string; gateway?: string; dev?: string }>(pod, ['route', 'show']).map(
      (r) => `${r.dst} via ${r.gateway ?? '-'} dev ${r.dev}`,
    ),
    forwarding: spawnSync('nsenter', [`--net=${nsPath(node)}`, '--', 'cat', '/proc/sys/net/ipv4/ip_forward'], {
      encoding: 'utf8',
    }).stdout.trim(),
  };
}

/** A log line on stderr, without what differs by design between two runs. */
function stderrLines(r: Outcome): unknown[] {
  return r.stderr
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { time: _t, pid: _p, via: _v, ...rest } = JSON.parse(l) as Record<string, unknown>;
      return rest;
    });
}

describe('podnet through the shim and the agent CNI socket', () => {
  let ns: Namespaces;
  let dirs: ReturnType<typeof tempDirs>;
  let node: string;
  let sock: string;
  const agents: AgentProcess[] = [];
  const servers: Server[] = [];
  const pids: number[] = [];

  beforeEach(() => {
    ns = new Namespaces();
    dirs = tempDirs();
    node = ns.add('node');
    sock = join(dirs.root, 'agent', 'cni.sock');
    // The fast path needs the shim: install (test/global-setup.ts) builds it when cc exists.
    expect(
      readFileSync(join(pluginDir(), 'podnet')).subarray(0, 4).toString('latin1'),
      'podnet must be the compiled shim (scripts/build-shim.sh)',
    ).toBe('\x7fELF');
  });
  afterEach(async () => {
    for (const pid of pids.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    for (const a of agents.splice(0)) {
      try {
        process.kill(a.pid, 'SIGCONT'); // a stopped agent cannot die of SIGKILL until it runs
      } catch {
        /* gone */
      }
      await a.stop('SIGKILL');
    }
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
    ns.removeAll();
    dirs.remove();
  });

  const agent = async (nodeNs = node, path = sock) => {
    const a = await startAgent(nodeNs, path);
    agents.push(a);
    return a;
  };
  const conf = (extra: Record<string, unknown> = {}, dirSet = dirs) =>
    podnetConf({
      cniVersion: '1.1.0',
      state: dirSet.state,
      dataDir: dirSet.ipam,
      agentSocket: sock,
      hairpinMode: true,
      mtu: 1400,
      ...extra,
    });
  const plainConf = (dirSet = dirs) => {
    const { agentSocket: _a, ...c } = conf({}, dirSet) as Record<string, unknown>;
    return c;
  };
  const args = (id: string) => `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`;
  const add = (c: unknown, id: string, pod: string, nodeNs = node) =>
    runPlugin('podnet', c, {
      command: 'ADD',
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      args: args(id),
      nodeNs,
    });
  const del = (c: unknown, id: string, pod: string, nodeNs = node) =>
    runPlugin('podnet', c, { command: 'DEL', containerID: id, netns: nsPath(pod), ifname: 'eth0', nodeNs });
  /** ADD/DEL without blocking this process: for fake agents served from this process. */
  const run = (verb: 'ADD' | 'DEL', c: unknown, id: string, pod: string) => {
    const r = startPlugin('podnet', c, {
      command: verb,
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      args: args(id),
      nodeNs: node,
    });
    pids.push(r.pid);
    return r.done;
  };
  const check = (c: Record<string, unknown>, prev: unknown, id: string, pod: string, nodeNs = node) =>
    runPlugin(
      'podnet',
      { ...c, prevResult: prev },
      { command: 'CHECK', containerID: id, netns: nsPath(pod), ifname: 'eth0', nodeNs },
    );

  it('ADD, CHECK, DEL (and errors, VERSION) answer and change the kernel exactly as the plugin does', async () => {
    await agent();
    // The same attachment on two nodes: one through the agent, one through the plugin.
    const plain = tempDirs();
    try {
      const nodeB = ns.add('nodeb');
      const podA = ns.add('poda');
      const podB = ns.add('podb');
      const viaAgent = add(conf(), 'web-1', podA);
      const viaPlugin = add(plainConf(plain), 'web-1', podB, nodeB);
      expect(viaAgent.status, viaAgent.stdout + viaAgent.stderr).toBe(0);
      expect(viaPlugin.status, viaPlugin.stdout + viaPlugin.stderr).toBe(0);
      expect(servedBy(dirs.state).get('ADD web-1')).toBe('agent');
      expect(servedBy(plain.state).get('ADD web-1')).toBe('plugin');
      expect(viaAgent.stderr).toBe('');
      expect(normalized(viaAgent.json)).toEqual(normalized(viaPlugin.json));
      expect(viaAgent.json.ips[0].address).toBe('10.244.1.2/24');
      expect(kernelState(node, podA, 'web-1')).toEqual(kernelState(nodeB, podB, 'web-1'));
      expect(kernelState(node, podA, 'web-1').host).toEqual({ master: 'v-net-0', up: true, mtu: 1400, hairpin: true });
      expect(leases(dirs.ipam, 'tnet')).toEqual(leases(plain.ipam, 'tnet'));
      const record = (d: typeof dirs) =>
        normalized(JSON.parse(readFileSync(join(d.state, 'attachments', 'tnet', 'web-1@eth0.json'), 'utf8')));
      expect(record(dirs)).toEqual(record(plain));

      // CHECK: healthy, then broken the same way on both nodes.
      const okA = check(conf(), viaAgent.json, 'web-1', podA);
      const okB = check(plainConf(plain), viaPlugin.json, 'web-1', podB, nodeB);
      expect([okA.status, okA.stdout, okA.stderr]).toEqual([0, '', '']);
      expect([okB.status, okB.stdout, okB.stderr]).toEqual([0, '', '']);
      expect(servedBy(dirs.state).get('CHECK web-1')).toBe('agent');
      const veth = hostVethName('web-1', 'eth0');
      for (const n of [node, nodeB]) spawnSync('ip', ['-n', n, 'link', 'set', veth, 'down']);
      const badA = check(conf(), viaAgent.json, 'web-1', podA);
      const badB = check(plainConf(plain), viaPlugin.json, 'web-1', podB, nodeB);
      expect(badA.status).toBe(1);
      expect(badA.json).toEqual(badB.json);
      expect(badA.json.code).toBe(105);
      // The error's log line reaches the runtime on stderr from the agent too.
      expect(stderrLines(badA)).toEqual(stderrLines(badB));
      expect(stderrLines(badA)).toHaveLength(1);

      // Errors in the configuration and the environment: the same spec error JSON.
      const vlanA = add(conf({ vlan: 5 }), 'web-2', podA);
      const vlanB = add({ ...plainConf(plain), vlan: 5 }, 'web-2', podB, nodeB);
      expect([vlanA.status, vlanA.json]).toEqual([vlanB.status, vlanB.json]);
      expect(vlanA.json.code).toBe(2);
      const noIdA = runPlugin('podnet', conf(), { command: 'ADD', netns: nsPath(podA), ifname: 'eth0', nodeNs: node });
      const noIdB = runPlugin('podnet', plainConf(plain), {
        command: 'ADD',
        netns: nsPath(podB),
        ifname: 'eth0',
        nodeNs: nodeB,
      });
      expect([noIdA.status, noIdA.json]).toEqual([noIdB.status, noIdB.json]);
      expect(noIdA.json.code).toBe(4);
      const versionA = runPlugin(
        'podnet',
        { cniVersion: '0.4.0', agentSocket: sock },
        { command: 'VERSION', nodeNs: node },
      );
      const versionB = runPlugin('podnet', { cniVersion: '0.4.0' }, { command: 'VERSION', nodeNs: nodeB });
      expect([versionA.status, versionA.stdout]).toEqual([versionB.status, versionB.stdout]);

      // DEL, and DEL again: nothing left, on either node.
      for (let i = 0; i < 2; i++) {
        const dA = del(conf(), 'web-1', podA);
        const dB = del(plainConf(plain), 'web-1', podB, nodeB);
        expect([dA.status, dA.stdout, dA.stderr]).toEqual([0, '', '']);
        expect([dB.status, dB.stdout, dB.stderr]).toEqual([0, '', '']);
      }
      expect(servedBy(dirs.state).get('DEL web-1')).toBe('agent');
      expect(linkNames(node)).not.toContain(veth);
      expect(linkNames(podA)).toEqual(['lo']);
      expect(leases(dirs.ipam, 'tnet')).toEqual([]);
      expect(attachmentFiles(dirs.state, 'tnet')).toEqual([]);
    } finally {
      plain.remove();
    }
  });

  it("the socket is the agent's alone (0600, its directory made), and SIGTERM finishes a committed verb and removes it", async () => {
    const a = await agent();
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(sock).isSocket()).toBe(true);
    const pods = [ns.add('p0'), ns.add('p1'), ns.add('p2')];
    const adds = pods.map((pod, i) => run('ADD', conf(), `c${i}`, pod));
    // Once the agent has answered the first, ask it to stop: what it took, it finishes; the
    // rest the shims run themselves (refused: closing, or no socket any more).
    await expect.poll(() => servedBy(dirs.state).size, { interval: 5, timeout: 10_000 }).toBeGreaterThan(0);
    await a.stop('SIGTERM');
    for (const r of await Promise.all(adds)) expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(leases(dirs.ipam, 'tnet')).toHaveLength(3);
    expect(a.log()).toMatch(/CNI socket closed/);
  });

  it("a delegated IPAM plugin (the reference host-local) gets the verb's CNI variables from the agent, for ADD, DEL and GC", async () => {
    await agent();
    const hl = (extra: Record<string, unknown> = {}) => ({
      ...conf(),
      cniVersion: '1.0.0',
      ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: dirs.ipam },
      ...extra,
    });
    const [a, b] = [ns.add('a'), ns.add('b')];
    const ra = add(hl(), 'ctr-a', a);
    expect(ra.status, ra.stdout + ra.stderr).toBe(0);
    expect(add(hl(), 'ctr-b', b).status).toBe(0);
    expect(ra.json.ips[0]).toMatchObject({ address: '10.244.1.2/24', gateway: '10.244.1.1' });
    expect(leases(dirs.ipam, 'tnet').sort()).toEqual(['10.244.1.2', '10.244.1.3']);
    expect(del(hl(), 'ctr-a', a).status).toBe(0);
    expect(leases(dirs.ipam, 'tnet')).toEqual(['10.244.1.3']);
    // GC at 1.1.0 with host-local of before 1.1: podnet DELs the stale lease itself, overriding CNI_CONTAINERID.
    const gc = runPlugin('podnet', hl({ cniVersion: '1.1.0', 'cni.dev/valid-attachments': [] }), {
      command: 'GC',
      nodeNs: node,
    });
    expect(gc.status, gc.stdout + gc.stderr).toBe(0);
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect([...servedBy(dirs.state).values()].every((v) => v === 'agent')).toBe(true);
  });

  it('with no agent at agentSocket, the shim runs the plugin, which does the work', () => {
    const pod = ns.add('pod');
    const r = add(conf(), 'web-1', pod);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.ips[0].address).toBe('10.244.1.2/24');
    expect(ipIn<Link>(pod, ['addr', 'show', 'dev', 'eth0'])[0]?.addr_info?.some((a) => a.local === '10.244.1.2')).toBe(
      true,
    );
    expect(del(conf(), 'web-1', pod).status).toBe(0);
    expect(servedBy(dirs.state)).toEqual(
      new Map([
        ['ADD web-1', 'plugin'],
        ['DEL web-1', 'plugin'],
      ]),
    );
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(linkNames(node).filter((l) => l.startsWith('veth'))).toEqual([]);
  });

  it('an agent killed with SIGKILL leaves a stale socket: the shim falls back; a new agent takes the path over', async () => {
    const first = await agent();
    const [p1, p2] = [ns.add('p1'), ns.add('p2')];
    expect(add(conf(), 'c1', p1).status).toBe(0);
    await first.stop('SIGKILL');
    expect(existsSync(sock)).toBe(true); // nobody removed it
    const r = add(conf(), 'c2', p2);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.ips[0].address).toBe('10.244.1.3/24');
    expect(del(conf(), 'c1', p1).status).toBe(0); // the plugin DELs what the agent ADDed
    await agent();
    expect(del(conf(), 'c2', p2).status).toBe(0); // and the new agent what the plugin ADDed
    expect(servedBy(dirs.state)).toEqual(
      new Map([
        ['ADD c1', 'agent'],
        ['ADD c2', 'plugin'],
        ['DEL c1', 'plugin'],
        ['DEL c2', 'agent'],
      ]),
    );
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(dirs.state, 'tnet')).toEqual([]);
  });

  it('a stale socket file with nobody listening, or a file that is no socket: the shim falls back', async () => {
    // A socket file whose server died without removing it.
    mkdirSync(join(dirs.root, 'agent'), { recursive: true });
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(sock)).toBe(true);
    const p1 = ns.add('p1');
    const r = add(conf(), 'c1', p1);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const plainFile = join(dirs.root, 'not-a-socket');
    writeFileSync(plainFile, 'hello');
    const p2 = ns.add('p2');
    const r2 = add(conf({ agentSocket: plainFile }), 'c2', p2);
    expect(r2.status, r2.stdout + r2.stderr).toBe(0);
    expect([...servedBy(dirs.state).values()]).toEqual(['plugin', 'plugin']);
    expect(leases(dirs.ipam, 'tnet').sort()).toEqual(['10.244.1.2', '10.244.1.3']);
    // The agent does not replace a file that is no socket, nor steal a live agent's socket.
    await expect(startAgent(node, plainFile)).rejects.toThrow(/exists and is not a socket/);
    await agent(); // over the stale socket: fine
    await expect(startAgent(node, sock)).rejects.toThrow(/another process is serving/);
    expect(readFileSync(plainFile, 'utf8')).toBe('hello');
  });

  /** A server on agentSocket that answers each request line with `answer`. */
  const fakeAgent = (answer: (line: string, socket: import('node:net').Socket) => void): Promise<string[]> => {
    const lines: string[] = [];
    mkdirSync(join(dirs.root, 'agent'), { recursive: true });
    const server = createServer((s) => {
      let buf = '';
      s.on('data', (d) => {
        buf += d;
        while (buf.includes('\n')) {
          const line = buf.slice(0, buf.indexOf('\n'));
          buf = buf.slice(buf.indexOf('\n') + 1);
          lines.push(line);
          answer(line, s);
        }
      });
      s.on('error', () => {});
    });
    servers.push(server);
    return new Promise((r) => server.listen(sock, () => r(lines)));
  };

  it('a server speaking another protocol version: the shim falls back; the agent answers "version mismatch"', async () => {
    const lines = await fakeAgent((_line, s) => s.write('{"v":2,"ack":true}\n'));
    const pod = ns.add('pod');
    const r = await run('ADD', conf(), 'c1', pod);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(dirs.state).get('ADD c1')).toBe('plugin');
    // The request the shim sent: protocol 1, its namespace, its CNI variables, the config.
    const req = JSON.parse(lines[0]!) as { v: number; netns: string; env: Record<string, string>; stdin: string };
    expect(req.v).toBe(1);
    expect(req.netns).toMatch(/^net:\[\d+\]$/);
    expect(req.env).toMatchObject({
      CNI_COMMAND: 'ADD',
      CNI_CONTAINERID: 'c1',
      CNI_IFNAME: 'eth0',
      CNI_NETNS: nsPath(pod),
    });
    expect(Object.keys(req.env).every((k) => k.startsWith('CNI_'))).toBe(true);
    expect(JSON.parse(req.stdin)).toEqual(conf());
    expect(lines).toHaveLength(1); // no "go" after a foreign acknowledgement
    await new Promise((res) => servers.pop()!.close(res));

    // The real agent, asked in another protocol version, says so and does nothing.
    await agent();
    const answer = await new Promise<string>((res, rej) => {
      const c = connect(sock);
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => res(got));
      c.on('error', rej);
      c.write(JSON.stringify({ v: 2, netns: req.netns, env: req.env, stdin: req.stdin }) + '\n');
    });
    expect(JSON.parse(answer)).toEqual({
      v: 1,
      ack: false,
      error: expect.stringMatching(/^version mismatch: this agent speaks CNI socket protocol 1, the request says 2/),
    });
  });

  it('an agent that acknowledges and then dies: DEL falls back to the plugin, ADD reports "try again" (11) and has done nothing', async () => {
    await fakeAgent((line, s) => {
      if (JSON.parse(line).go) s.destroy();
      else s.write('{"v":1,"ack":true}\n');
    });
    const pod = ns.add('pod');
    const r = await run('ADD', conf(), 'c1', pod);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ cniVersion: '1.1.0', code: 11, msg: expect.stringMatching(/took the ADD but/) });
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(linkNames(pod)).toEqual(['lo']);
    const d = await run('DEL', conf(), 'c1', pod);
    expect([d.status, d.stdout]).toEqual([0, '']);
    expect(servedBy(dirs.state).get('DEL c1')).toBe('plugin');
  });

  it('an agent that never answers (stopped): the shim falls back after its acknowledgement timeout, and the agent never runs that verb', async () => {
    const a = await agent();
    process.kill(a.pid, 'SIGSTOP');
    const pod = ns.add('pod');
    const t0 = Date.now();
    const r = add(conf(), 'c1', pod);
    const ms = Date.now() - t0;
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(dirs.state).get('ADD c1')).toBe('plugin');
    expect(ms).toBeLessThan(5_000);
    process.kill(a.pid, 'SIGCONT');
    await new Promise((res) => setTimeout(res, 1_000));
    // It got the request late, acknowledged it to nobody, and never saw a go.
    expect(servedBy(dirs.state).get('ADD c1')).toBe('plugin');
    expect(leases(dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);
    const d = del(conf(), 'c1', pod);
    expect(d.status, d.stdout).toBe(0);
    expect(servedBy(dirs.state).get('DEL c1')).toBe('agent'); // and serves the next one
  });

  it("spawn helpers killed: the agent's verbs go on, starting their processes with Node", async () => {
    const a = await agent();
    expect(a.listening.spawnHelpers, 'the agent starts one spawn helper per verb thread (.build/podnet-spawn)').toBe(
      a.listening.workers,
    );
    const p1 = ns.add('p1');
    expect(add(conf(), 'c1', p1).status).toBe(0);
    // The helpers are the agent's children (started by the test's agent): killed by PID.
    const helpers = readdirSync(`/proc/${a.pid}/task`)
      .flatMap((t) =>
        readFileSync(`/proc/${a.pid}/task/${t}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
      )
      .filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'podnet-spawn');
    expect(helpers).toHaveLength(Number(a.listening.workers));
    for (const pid of helpers) process.kill(pid, 'SIGKILL');
    await expect.poll(() => a.log().match(/CNI spawn helper died/g)?.length ?? 0).toBe(helpers.length);
    const p2 = ns.add('p2');
    const r = add(conf(), 'c2', p2);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(del(conf(), 'c1', p1).status).toBe(0);
    expect(del(conf(), 'c2', p2).status).toBe(0);
    expect([...servedBy(dirs.state).values()]).toEqual(['agent', 'agent', 'agent', 'agent']);
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(linkNames(node).filter((l) => l.startsWith('veth'))).toEqual([]);
  });

  it("an agent in another network namespace refuses: the work is done where the runtime called, never in the agent's", async () => {
    const other = ns.add('other');
    await agent(other);
    const pod = ns.add('pod');
    const r = add(conf(), 'c1', pod);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(dirs.state).get('ADD c1')).toBe('plugin');
    expect(linkNames(node)).toContain(hostVethName('c1', 'eth0'));
    expect(linkNames(other)).toEqual(['lo']);
  });

  it('20 ADDs through the agent and 20 through the plugin at once share one lease store: 40 distinct IPs; all DELs leave nothing', async () => {
    await agent();
    const pods = Array.from({ length: 40 }, (_, i) => ns.add(`p${i}`));
    const confFor = (i: number) => (i % 2 === 0 ? conf() : plainConf());
    const start = (verb: 'ADD' | 'DEL', i: number, c: unknown) => {
      const run = startPlugin('podnet', c, {
        command: verb,
        containerID: `c${i}`,
        netns: nsPath(pods[i]!),
        ifname: 'eth0',
        args: args(`c${i}`),
        nodeNs: node,
      });
      pids.push(run.pid);
      return run.done;
    };
    const adds = await Promise.all(pods.map((_, i) => start('ADD', i, confFor(i))));
    for (const r of adds) expect(r.status, r.stdout + r.stderr).toBe(0);
    const ips = adds.map((r) => r.json.ips[0].address as string);
    expect(new Set(ips).size).toBe(40);
    expect(leases(dirs.ipam, 'tnet')).toHaveLength(40);
    expect(attachmentFiles(dirs.state, 'tnet')).toHaveLength(40);
    const by = servedBy(dirs.state);
    const wrong = pods
      .map((_, i) => `c${i}`)
      .filter((id, i) => by.get(`ADD ${id}`) !== (i % 2 === 0 ? 'agent' : 'plugin'));
    expect(wrong, 'ADDs not served by the path they were sent to').toEqual([]);
    for (const i of [0, 1, 38, 39]) {
      const eth0 = ipIn<Link>(pods[i]!, ['addr', 'show', 'dev', 'eth0'])[0];
      expect(eth0?.addr_info?.map((a) => `${a.local}/${a.prefixlen}`)).toContain(ips[i]);
    }

    // Each pod DELed by the other path than the one that ADDed it.
    const dels = await Promise.all(pods.map((_, i) => start('DEL', i, confFor(i + 1))));
    for (const r of dels) expect(r.status, r.stdout + r.stderr).toBe(0);
    const byDel = servedBy(dirs.state);
    const wrongDel = pods
      .map((_, i) => `c${i}`)
      .filter((id, i) => byDel.get(`DEL ${id}`) !== (i % 2 === 0 ? 'plugin' : 'agent'));
    expect(wrongDel, 'DELs not served by the path they were sent to').toEqual([]);
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(dirs.state, 'tnet')).toEqual([]);
    expect(linkNames(node).sort()).toEqual(['lo', 'v-net-0']);
  }, 180_000);
});

// Kept apart: a plugin process killed while the agent holds the lease lock, and the reverse.
describe('the agent and plugin processes share one lock discipline', () => {
  let ns: Namespaces;
  let dirs: ReturnType<typeof tempDirs>;
  let a: AgentProcess | null = null;
  beforeEach(() => {
    ns = new Namespaces();
    dirs = tempDirs();
  });
  afterEach(async () => {
    await a?.stop('SIGKILL');
    a = null;
    ns.removeAll();
    dirs.remove();
  });

  it("a lock left by an agent killed with SIGKILL is broken by the plugin, as a dead plugin's is", async () => {
    const node = ns.add('node');
    const sock = join(dirs.root, 'agent', 'cni.sock');
    a = await startAgent(node, sock);
    const conf = podnetConf({ cniVersion: '1.1.0', state: dirs.state, dataDir: dirs.ipam, agentSocket: sock });
    const pod = ns.add('pod');
    expect(
      runPlugin('podnet', conf, { command: 'ADD', containerID: 'c0', netns: nsPath(pod), ifname: 'eth0', nodeNs: node })
        .status,
    ).toBe(0);
    // Forge what a kill mid-allocation leaves: the agent's lock file, then kill the agent.
    const { processStartTime } = await import('../lib/proc/identity.js');
    writeFileSync(join(dirs.ipam, 'tnet', 'podnet.lock'), `${a.pid} ${processStartTime(a.pid)} forged\n`);
    await a.stop('SIGKILL');
    a = null;
    const pod2 = ns.add('pod2');
    const t0 = Date.now();
    const r = runPlugin('podnet', conf, {
      command: 'ADD',
      containerID: 'c1',
      netns: nsPath(pod2),
      ifname: 'eth0',
      nodeNs: node,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(leases(dirs.ipam, 'tnet').sort()).toEqual(['10.244.1.2', '10.244.1.3']);
  });
});
