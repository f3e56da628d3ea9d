// The firewall with real namespaces and real traffic. Two "nodes" on a LAN (a bridge in
// a namespace of its own) plus an outside host with no route to the pods; each node has
// v-net-0 at 10.244.N.1/24 with pods on veths, set up with `ip` directly (not through the
// CNI plugin) so these tests depend on nothing but the firewall.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execIn, Namespaces, nsPath } from '../../test/netns.js';
import { connect, Listeners } from '../../test/tcp.js';
import { applyFirewall, FirewallError, firewallFacts, removeFirewall } from './apply.js';
import type { FirewallInput } from './render.js';

const CLUSTER = '10.244.0.0/16';
const nodeIp = (n: number) => `192.168.1.${10 + n}`;
const OUTSIDE = '192.168.1.100';

function must(ns: string, cmd: string[]): string {
  const r = execIn(ns, cmd);
  if (r.status !== 0) throw new Error(`in ${ns}: ${cmd.join(' ')}: ${r.out}`);
  return r.out;
}

interface Lab {
  nodes: string[]; // index n-1 is node n
  pods: string[][]; // pods[n-1][i] is at 10.244.n.(2+i)
  outside: string;
}

function buildLab(ns: Namespaces, podsPerNode: number[]): Lab {
  const lan = ns.add('lan');
  must(lan, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  must(lan, ['ip', 'link', 'set', 'br0', 'up']);
  const plug = (host: string, port: string, cidr: string) => {
    must(host, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', port, 'netns', nsPath(lan)]);
    must(lan, ['ip', 'link', 'set', port, 'master', 'br0', 'up']);
    must(host, ['ip', 'addr', 'add', cidr, 'dev', 'eth0']);
    must(host, ['ip', 'link', 'set', 'eth0', 'up']);
  };
  const outside = ns.add('out');
  plug(outside, 'pout', `${OUTSIDE}/24`); // no route to 10.244.0.0/16: replies need masquerade

  const nodes: string[] = [];
  const pods: string[][] = [];
  podsPerNode.forEach((count, i) => {
    const n = i + 1;
    const node = ns.add(`n${n}`);
    plug(node, `p${n}`, `${nodeIp(n)}/24`);
    must(node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    must(node, ['ip', 'link', 'add', 'v-net-0', 'type', 'bridge']);
    must(node, ['ip', 'addr', 'add', `10.244.${n}.1/24`, 'dev', 'v-net-0']);
    must(node, ['ip', 'link', 'set', 'v-net-0', 'up']);
    podsPerNode.forEach((_, j) => {
      if (j !== i) must(node, ['ip', 'route', 'add', `10.244.${j + 1}.0/24`, 'via', nodeIp(j + 1)]);
    });
    const mine: string[] = [];
    for (let k = 0; k < count; k++) {
      const pod = ns.add(`n${n}p${k}`);
      const veth = `veth${n}x${k}`;
      must(node, ['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nsPath(pod)]);
      must(node, ['ip', 'link', 'set', veth, 'master', 'v-net-0', 'up']);
      must(pod, ['ip', 'addr', 'add', `10.244.${n}.${2 + k}/24`, 'dev', 'eth0']);
      must(pod, ['ip', 'link', 'set', 'eth0', 'up']);
      must(pod, ['ip', 'route', 'add', 'default', 'via', `10.244.${n}.1`]);
      mine.push(pod);
    }
    nodes.push(node);
    pods.push(mine);
  });
  return { nodes, pods, outside };
}

const input = (n: number, count: number, restrictInput = false): FirewallInput => ({
  node: `node${n}`,
  nodeIp: nodeIp(n),
  podCIDR: `10.244.${n}.0/24`,
  clusterNetwork: CLUSTER,
  peers: Array.from({ length: count }, (_, i) => nodeIp(i + 1)).filter((ip) => ip !== nodeIp(n)),
  bridge: 'v-net-0',
  uplink: 'eth0',
  restrictInput,
});

const ping = (from: string, to: string) => execIn(from, ['ping', '-c1', '-W1', to]).status === 0;
const dropForward = (node: string) => must(node, ['iptables', '-P', 'FORWARD', 'DROP']);
const tables = (node: string) => must(node, ['nft', 'list', 'tables']);

describe('podnet firewall in real namespaces', () => {
  let ns: Namespaces;
  let listeners: Listeners;
  beforeEach(() => {
    ns = new Namespaces();
    listeners = new Listeners();
  });
  afterEach(async () => {
    await listeners.closeAll();
    ns.removeAll();
  });

  it('with FORWARD at drop, pods reach each other across nodes only while the firewall is applied', () => {
    const lab = buildLab(ns, [1, 1]);
    const [n1, n2] = lab.nodes as [string, string];
    const pod1 = lab.pods[0]![0]!;
    lab.nodes.forEach(dropForward);
    expect(ping(pod1, '10.244.2.2')).toBe(false);

    const opts1 = { netns: nsPath(n1) };
    expect(applyFirewall(input(1, 2), opts1)).toEqual({ forwardChain: true, forwardInserted: 2, forwardRemoved: 0 });
    applyFirewall(input(2, 2), { netns: nsPath(n2) });
    expect(ping(pod1, '10.244.2.2')).toBe(true);
    expect(firewallFacts(opts1)).toMatchObject({
      forwardPolicy: 'drop',
      iptablesBackend: 'nft',
      table: true,
      masquerade: true,
      forwardAccepts: true,
      inputRestricted: false,
    });

    // Applying again changes nothing: one table, the same two accepts, still at the top.
    expect(applyFirewall(input(1, 2), opts1)).toEqual({ forwardChain: true, forwardInserted: 0, forwardRemoved: 0 });
    expect(tables(n1).match(/podnet/g)).toHaveLength(1);
    expect(must(n1, ['iptables', '-S', 'FORWARD']).split('\n').slice(1, 3)).toEqual([
      '-A FORWARD -s 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
      '-A FORWARD -d 10.244.0.0/16 -m comment --comment podnet -j ACCEPT',
    ]);

    // A rule that is not podnet's survives removal; podnet's own do not.
    must(n1, [
      'iptables',
      '-A',
      'FORWARD',
      '-s',
      '10.99.0.0/16',
      '-m',
      'comment',
      '--comment',
      'podnet-not',
      '-j',
      'ACCEPT',
    ]);
    expect(removeFirewall(opts1)).toEqual({ tableRemoved: true, forwardRemoved: 2 });
    expect(ping(pod1, '10.244.2.2')).toBe(false);
    expect(tables(n1)).not.toContain('podnet');
    expect(must(n1, ['iptables', '-S', 'FORWARD'])).toBe(
      '-P FORWARD DROP\n-A FORWARD -s 10.99.0.0/16 -m comment --comment podnet-not -j ACCEPT\n',
    );
    expect(firewallFacts(opts1)).toMatchObject({
      forwardPolicy: 'drop',
      table: false,
      masquerade: false,
      forwardAccepts: false,
      forwardRules: [],
    });
    expect(removeFirewall(opts1)).toEqual({ tableRemoved: false, forwardRemoved: 0 }); // idempotent
  });

  it('with no iptables FORWARD chain, applying creates none (there is nothing to override)', () => {
    const lab = buildLab(ns, [1, 1]);
    const opts = { netns: nsPath(lab.nodes[0]!) };
    expect(applyFirewall(input(1, 2), opts)).toEqual({ forwardChain: false, forwardInserted: 0, forwardRemoved: 0 });
    expect(tables(lab.nodes[0]!)).not.toMatch(/table ip filter/);
    expect(firewallFacts(opts)).toMatchObject({ forwardPolicy: 'unknown', table: true, forwardAccepts: false });
    expect(removeFirewall(opts)).toEqual({ tableRemoved: true, forwardRemoved: 0 });
  });

  it('a changed cluster network replaces the stale FORWARD accepts instead of adding to them', () => {
    const lab = buildLab(ns, [1, 1]);
    const opts = { netns: nsPath(lab.nodes[0]!) };
    dropForward(lab.nodes[0]!);
    applyFirewall({ ...input(1, 2), clusterNetwork: '10.0.0.0/8' }, opts);
    expect(applyFirewall(input(1, 2), opts)).toEqual({ forwardChain: true, forwardInserted: 2, forwardRemoved: 2 });
    expect(firewallFacts(opts).forwardRules.map((r) => r.slice(0, 2))).toEqual([
      ['-s', CLUSTER],
      ['-d', CLUSTER],
    ]);
  });

  it('with FORWARD at drop and bridge-nf-call-iptables on, pods on one bridge also need the firewall', (ctx) => {
    const lab = buildLab(ns, [2]);
    const node = lab.nodes[0]!;
    const [a, b] = lab.pods[0] as [string, string];
    const knob = '/proc/sys/net/bridge/bridge-nf-call-iptables';
    // /proc/sys/net/bridge appears only once br_netfilter is loaded; then it is 1 in every new namespace.
    if (execIn(node, ['test', '-e', knob]).status !== 0)
      ctx.skip(`${knob} does not exist (br_netfilter not loaded): bridged traffic never meets FORWARD here`);
    must(node, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
    dropForward(node);
    expect(ping(a, '10.244.1.3')).toBe(false);
    applyFirewall(input(1, 1), { netns: nsPath(node) });
    expect(ping(a, '10.244.1.3')).toBe(true);
    removeFirewall({ netns: nsPath(node) });
    expect(ping(b, '10.244.1.2')).toBe(false);
  });

  it('restrictInput: peers reach the control-plane ports, anyone reaches SSH, nothing else gets in', async () => {
    const lab = buildLab(ns, [1, 1]);
    const [n1, n2] = lab.nodes as [string, string];
    const pod1 = lab.pods[0]![0]!;
    await listeners.listen(n1, [22, 6443, 8080]);
    await listeners.listen(n2, [8080]);
    expect(connect(n2, nodeIp(1), 8080).ok).toBe(true); // the listener works: without the firewall all is open

    applyFirewall(input(1, 2, true), { netns: nsPath(n1) });
    expect(firewallFacts({ netns: nsPath(n1) }).inputRestricted).toBe(true);
    expect(connect(n2, nodeIp(1), 6443)).toEqual({ ok: true, reply: nodeIp(2) });
    expect(connect(n2, nodeIp(1), 22).ok).toBe(true);
    expect(connect(n2, nodeIp(1), 8080, 1000).ok).toBe(false);
    expect(connect(lab.outside, nodeIp(1), 22).ok).toBe(true); // SSH from anywhere
    expect(connect(lab.outside, nodeIp(1), 6443, 1000).ok).toBe(false); // not a peer
    expect(ping(lab.outside, nodeIp(1))).toBe(true); // ICMP stays open
    expect(connect(pod1, '10.244.1.1', 8080).ok).toBe(true); // own pods reach their gateway
    expect(connect(n1, nodeIp(2), 8080).ok).toBe(true); // replies to the node's own connections
    expect(connect(n1, '127.0.0.1', 8080).ok).toBe(true); // loopback

    applyFirewall(input(1, 2, false), { netns: nsPath(n1) }); // turning it off again opens up
    expect(connect(n2, nodeIp(1), 8080).ok).toBe(true);
  });

  it('masquerades pods leaving the cluster network, and only them', async () => {
    const lab = buildLab(ns, [1, 1]);
    const [n1, n2] = lab.nodes as [string, string];
    const pod1 = lab.pods[0]![0]!;
    await listeners.listen(lab.outside, [8080]);
    await listeners.listen(lab.pods[1]![0]!, [8080]);
    expect(connect(pod1, OUTSIDE, 8080, 1000).ok).toBe(false); // the outside host has no route back

    applyFirewall(input(1, 2), { netns: nsPath(n1) });
    applyFirewall(input(2, 2), { netns: nsPath(n2) });
    expect(connect(pod1, OUTSIDE, 8080)).toEqual({ ok: true, reply: nodeIp(1) });
    expect(connect(pod1, '10.244.2.2', 8080)).toEqual({ ok: true, reply: '10.244.1.2' }); // no NAT between pods

    removeFirewall({ netns: nsPath(n1) });
    expect(connect(pod1, OUTSIDE, 8080, 1000).ok).toBe(false);
  });

  it('says which command failed and what it printed', () => {
    const netns = `/run/netns/${ns.prefix}missing`;
    const err = (() => {
      try {
        applyFirewall(input(1, 2), { netns });
      } catch (e) {
        return e;
      }
    })();
    expect(err, String(err)).toBeInstanceOf(FirewallError);
    const e = err as FirewallError;
    expect(e.step).toBe('load table inet podnet');
    expect(e.command).toBe(`nsenter --net=${netns} -- nft -f -`);
    expect(e.message, e.message).toBe(`firewall: load table inet podnet failed: ${e.command}: ${e.stderr.trim()}`);
    expect(e.stderr).toContain(netns);
  });
});
