// The lab's agents, on a lab of the test's own: true snapshots, live events, routes kept
// right, findings that come and go with the fault, and the token on every route.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSocket } from '../lab/agents.js';
import { readInventory, type LabInventory } from '../lab/inventory.js';
import { labDown, labUp } from '../lab/lab.js';
import { labPaths } from '../lab/paths.js';
import { podAdd, podDel } from '../lab/pods.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import { call, subscribe } from '../test/agent-client.js';

const p = labPaths(`t${randomBytes(3).toString('hex')}`);
let lab: LabInventory;
let token: string;
const sock = (node: string) => agentSocket(p, node);
const ipj = (ns: string, args: string[]) =>
  JSON.parse(spawnSync('ip', ['-n', ns, '-j', ...args], { encoding: 'utf8' }).stdout || '[]');
const sh = (ns: string, cmd: string[]) =>
  spawnSync('nsenter', [`--net=/run/netns/${ns}`, '--', ...cmd], { encoding: 'utf8' });
const snapshot = async (node: string): Promise<NodeSnapshot> =>
  (await call(sock(node), token, 'GET', '/v1/snapshot')).body.snapshot;

describe('node agent', () => {
  beforeAll(async () => {
    lab = (await labUp(p, { nodes: 3, podsPerNode: 2, routing: 'host-gw' }, () => {})).inventory;
    token = readFileSync(lab.tokenFile!, 'utf8').trim();
  }, 120_000);
  afterAll(async () => {
    await labDown(p);
  });

  it('the token file is 0600 and the sockets are root-only', () => {
    expect(spawnSync('stat', ['-c', '%a', lab.tokenFile!], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    expect(spawnSync('stat', ['-c', '%a', sock('node1')], { encoding: 'utf8' }).stdout.trim()).toBe('600');
  });

  it('every route but /healthz needs the bearer token', async () => {
    expect((await call(sock('node1'), null, 'GET', '/healthz')).status).toBe(200);
    for (const path of ['/v1/snapshot', '/v1/events', '/metrics']) {
      expect((await call(sock('node1'), null, 'GET', path)).status).toBe(401);
      expect((await call(sock('node1'), 'not-the-token-at-all', 'GET', path)).status).toBe(401);
    }
    expect((await call(sock('node1'), null, 'POST', '/v1/probe', { kind: 'ping' })).status).toBe(401);
    expect((await call(sock('node1'), token, 'GET', '/v1/nope')).status).toBe(404);
  });

  it("each node's snapshot matches what ip -j shows there", async () => {
    for (const node of lab.nodes) {
      const snap = await snapshot(node.name);
      const links = ipj(node.netns, ['link', 'show']);
      expect(snap.links.map((l) => [l.index, l.name]).sort()).toEqual(
        links.map((l: { ifindex: number; ifname: string }) => [l.ifindex, l.ifname]).sort(),
      );
      const addrs = ipj(node.netns, ['-4', 'addr', 'show']).flatMap(
        (l: { ifname: string; addr_info: { local: string; prefixlen: number }[] }) =>
          l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`),
      );
      expect(
        snap.addresses
          .filter((a) => a.family === 'inet')
          .map((a) => `${a.link} ${a.address}/${a.prefixLen}`)
          .sort(),
      ).toEqual(addrs.sort());
      const routes = ipj(node.netns, ['route', 'show']).map(
        (r: { dst: string; gateway?: string }) => `${r.dst} ${r.gateway ?? '-'}`,
      );
      expect(snap.routes.map((r) => `${r.dst} ${r.gateway ?? '-'}`).sort()).toEqual(routes.sort());
      // The pods behind the veths, named from the plugin's records, with their far ends.
      const pods = lab.pods.filter((x) => x.node === node.name);
      expect(snap.pods.map((x) => `${x.namespace}/${x.name} ${x.ip}`).sort()).toEqual(
        pods.map((x) => `default/${x.name} ${x.ip}`).sort(),
      );
      for (const pod of pods) {
        const veth = snap.links.find((l) => l.peer?.pod === `default/${pod.name}`);
        expect(veth).toMatchObject({
          kind: 'veth',
          master: 'v-net-0',
          up: true,
          peer: { netns: pod.netns, ifname: 'eth0' },
        });
      }
      expect(snap.node).toMatchObject({
        name: node.name,
        podCIDR: node.podCIDR,
        gateway: node.gateway,
        ipForward: true,
        addresses: [node.ip],
      });
      expect(snap.node.firewall).toMatchObject({ table: true, masquerade: true, inputRestricted: true });
      expect(snap.findings).toEqual([]);
    }
  });

  it('a pod added through the CNI appears on /v1/events, and a deleted one disappears', async () => {
    const sub = subscribe(sock('node2'), token);
    try {
      await sub.waitFor(() => true);
      const pod = await podAdd(p, 'team-a/api', 'node2');
      const seen = await sub.waitFor((v) => v.pods.some((x) => x.name === 'api' && x.ip === pod.ip));
      expect(seen.links.find((l) => l.peer?.pod === 'team-a/api')?.master).toBe('v-net-0');
      await podDel(p, 'team-a/api');
      await sub.waitFor(
        (v) => !v.pods.some((x) => x.name === 'api') && !v.links.some((l) => l.peer?.pod === 'team-a/api'),
      );
      expect(sub.kinds[0]).toBe('snapshot');
      expect(sub.kinds.slice(1).every((k) => k === 'diff')).toBe(true);
    } finally {
      sub.close();
    }
  });

  it('a route deleted by hand is restored and reported; a route the agent does not own is left alone', async () => {
    const node1 = lab.nodes[0]!;
    const sub = subscribe(sock('node1'), token);
    try {
      await sub.waitFor(() => true);
      sh(node1.netns, ['ip', 'route', 'add', '10.99.0.0/24', 'via', '192.168.1.13']); // someone else's route
      sh(node1.netns, ['ip', 'route', 'del', '10.244.2.0/24']);
      const routeBack = () => ipj(node1.netns, ['route', 'show', '10.244.2.0/24'])[0];
      await sub.waitFor(() => routeBack()?.gateway === '192.168.1.12');
      expect(routeBack()).toMatchObject({ gateway: '192.168.1.12', dev: 'eth0', protocol: '151' });
      const metrics = (await call(sock('node1'), token, 'GET', '/metrics')).text;
      expect(metrics).toMatch(/podnet_agent_reconcile_actions_total\{node="node1",action="add"\} [1-9]/);
      const log = readFileSync(`${p.stateDir}/nodes/node1/agent.log`, 'utf8');
      expect(log).toMatch(/"msg":"route recovered","dst":"10.244.2.0\/24"/);
      await sub.waitFor((v) => v.routes.some((r) => r.dst === '10.99.0.0/24'));
      expect(ipj(node1.netns, ['route', 'show', '10.99.0.0/24'])).toHaveLength(1);
    } finally {
      sub.close();
      sh(node1.netns, ['ip', 'route', 'del', '10.99.0.0/24']);
    }
  });

  it("a pod's veth set down shows as a finding on that node, and clears when set up", async () => {
    const snap = await snapshot('node3');
    const pod = snap.pods[0]!;
    const sub = subscribe(sock('node3'), token);
    try {
      sh(lab.nodes[2]!.netns, ['ip', 'link', 'set', pod.hostVeth, 'down']);
      const bad = await sub.waitFor((v) => v.findings.some((f) => f.id === `veth-down:${pod.hostVeth}`));
      expect(bad.findings.find((f) => f.id === `veth-down:${pod.hostVeth}`)).toMatchObject({
        severity: 'error',
        expected: 'up',
        actual: 'down',
        fix: `ip link set ${pod.hostVeth} up`,
      });
      sh(lab.nodes[2]!.netns, ['ip', 'link', 'set', pod.hostVeth, 'up']);
      await sub.waitFor((v) => v.findings.length === 0);
    } finally {
      sub.close();
      sh(lab.nodes[2]!.netns, ['ip', 'link', 'set', pod.hostVeth, 'up']);
    }
  });

  it("podnet's firewall table removed by hand shows as a finding (seen through nft monitor), and clears when re-applied", async () => {
    const node3 = lab.nodes[2]!;
    const sub = subscribe(sock('node3'), token);
    try {
      sh(node3.netns, ['nft', 'delete', 'table', 'inet', 'podnet']);
      const bad = await sub.waitFor((v) => v.findings.some((f) => f.id === 'firewall-table'));
      expect(bad.node.firewall?.table).toBe(false);
      expect(bad.findings.find((f) => f.id === 'firewall-table')?.fix).toBe(
        'podnet firewall render --node node3 --restrict-input | nft -f -',
      );
      const { applyNodeFirewall } = await import('../lab/firewall.js');
      applyNodeFirewall(lab, node3);
      await sub.waitFor((v) => v.findings.length === 0 && v.node.firewall?.table === true);
    } finally {
      sub.close();
    }
  });

  it('a client resumes with Last-Event-ID; after an agent restart it gets a fresh snapshot that matches the kernel', async () => {
    const first = subscribe(sock('node1'), token);
    await first.waitFor(() => true);
    const node1 = lab.nodes[0]!;
    sh(node1.netns, ['ip', 'link', 'set', 'v-net-0', 'mtu', '1400']);
    await first.waitFor((v) => v.links.find((l) => l.name === 'v-net-0')?.mtu === 1400);
    first.close();
    const resumeFrom = first.lastEventId!;
    sh(node1.netns, ['ip', 'link', 'set', 'v-net-0', 'mtu', '1500']);
    // Same boot: only the missed diffs, no snapshot.
    const resumed = subscribe(sock('node1'), token, resumeFrom);
    await new Promise((r) => setTimeout(r, 500));
    expect(resumed.kinds[0]).not.toBe('snapshot');
    resumed.close();

    // Kill the agent; lab up restarts it with a new boot id.
    const pid = readInventory(p)!.agents.node1!.pid;
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    await labUp(p, { nodes: 3, podsPerNode: 2, routing: 'host-gw' }, () => {});
    const after = subscribe(sock('node1'), token, resumeFrom);
    try {
      const view = await after.waitFor(() => true);
      expect(after.kinds[0]).toBe('snapshot');
      expect(view.links.find((l) => l.name === 'v-net-0')?.mtu).toBe(1500);
      expect(view.links.map((l) => l.name).sort()).toEqual(
        ipj(node1.netns, ['link', 'show'])
          .map((l: { ifname: string }) => l.ifname)
          .sort(),
      );
    } finally {
      after.close();
    }
  });

  it('POST /v1/probe runs a ping from a pod across nodes; hostile input gets 400 and runs nothing', async () => {
    const r = await call(sock('node1'), token, 'POST', '/v1/probe', {
      kind: 'ping',
      from: { pod: 'web-1' },
      to: 'web-4',
      count: 2,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({ ok: true, sent: 2, received: 2, to: { ip: '10.244.2.3' } });
    const route = await call(sock('node1'), token, 'POST', '/v1/probe', {
      kind: 'route-get',
      from: { node: true },
      to: '10.244.3.2',
    });
    expect(route.body.route).toMatchObject({ gateway: '192.168.1.13', dev: 'eth0' });
    const before = (await call(sock('node1'), token, 'GET', '/metrics')).text;
    for (const body of [
      { kind: 'ping', from: { pod: 'web-1' }, to: '10.244.2.3; reboot' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '$(id)' },
      { kind: 'ping', from: { pod: 'web-1' }, to: '10.244.2.3', count: 100000 },
      { kind: 'ping', from: { pod: 'web-1' }, to: 'fd00::1' },
      { kind: 'shell', from: { pod: 'web-1' }, to: '10.244.2.3' },
    ]) {
      const bad = await call(sock('node1'), token, 'POST', '/v1/probe', body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(typeof bad.body.error).toBe('string');
    }
    expect(
      (await call(sock('node1'), token, 'POST', '/v1/probe', { kind: 'ping', from: { pod: 'nosuch' }, to: 'web-4' }))
        .status,
    ).toBe(404);
    expect((await call(sock('node1'), token, 'POST', '/v1/probe', '{not json')).status).toBe(400);
    expect((await call(sock('node1'), token, 'POST', '/v1/probe', 'x'.repeat(20_000))).status).toBe(413);
    const after = (await call(sock('node1'), token, 'GET', '/metrics')).text;
    const runs = (t: string) =>
      [...t.matchAll(/^podnet_probe_runs_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
    // The prober's series are in the agent's /metrics: the ping and the route get counted, the refusals by reason.
    expect(before).toMatch(/^podnet_probe_runs_total\{kind="ping",outcome="ok"\} [1-9]\d*$/m);
    expect(before).toMatch(/^podnet_probe_runs_total\{kind="route-get",outcome="ok"\} [1-9]\d*$/m);
    expect(runs(after)).toBe(runs(before));
    const rejected = (t: string, reason: string) =>
      Number(new RegExp(`^podnet_probe_rejected_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(t)?.[1]);
    expect(rejected(after, 'invalid') - rejected(before, 'invalid')).toBe(5);
    expect(rejected(after, 'unknown-pod') - rejected(before, 'unknown-pod')).toBe(1);
    expect(after).toMatch(/^podnet_probe_in_flight 0$/m);
  });

  it('survives a client that disconnects mid-stream and a pod namespace deleted under it', async () => {
    for (let i = 0; i < 5; i++) subscribe(sock('node2'), token).close();
    const pod = await podAdd(p, 'doomed', 'node2');
    spawnSync('ip', ['netns', 'del', pod.netns]); // the veth goes with it; the record stays
    const sub = subscribe(sock('node2'), token);
    try {
      const view = await sub.waitFor((v) => v.findings.some((f) => f.id.startsWith('veth-missing:')));
      expect(view.findings.find((f) => f.id.startsWith('veth-missing:'))?.message).toMatch(
        /pod default\/doomed holds 10\.244\.2\.\d+ but its veth .* is gone/,
      );
      expect((await call(sock('node2'), null, 'GET', '/healthz')).status).toBe(200);
    } finally {
      sub.close();
      await podDel(p, 'doomed');
    }
  });
});
