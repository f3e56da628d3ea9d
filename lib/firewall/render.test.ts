import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Namespaces, nsPath } from '../../test/netns.js';
import { FirewallInputError, OPEN_PORTS, renderFirewall, type FirewallInput } from './render.js';

const node1: FirewallInput = {
  node: 'node1',
  nodeIp: '192.168.1.11',
  podCIDR: '10.244.1.0/24',
  clusterNetwork: '10.244.0.0/16',
  peers: ['192.168.1.13', '192.168.1.12'],
  bridge: 'v-net-0',
  uplink: 'eth0',
  restrictInput: true,
};

describe('renderFirewall', () => {
  it('replaces its own table atomically, accepts pod forwarding and masquerades only traffic leaving the cluster', () => {
    const { nft } = renderFirewall(node1);
    expect(nft.indexOf('table inet podnet {}\ndelete table inet podnet\ntable inet podnet {')).toBeGreaterThanOrEqual(
      0,
    );
    expect(nft).toContain('type filter hook forward priority filter; policy accept;');
    expect(nft).toContain('ip saddr 10.244.0.0/16 counter accept');
    expect(nft).toContain('ip daddr 10.244.0.0/16 counter accept');
    expect(nft).toContain('type nat hook postrouting priority srcnat;');
    expect(nft).toContain(
      'ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 ip daddr != 224.0.0.0/4 counter masquerade',
    );
    expect(nft).toContain('elements = { 192.168.1.12, 192.168.1.13 }');
    // every rule says why it is there
    for (const line of nft.split('\n').filter((l) => /\b(accept|masquerade)\b/.test(l) && !l.includes('policy'))) {
      expect(line, line).toMatch(/ comment "[^"]+"$/);
    }
  });

  it("gives the flannel-style FORWARD accepts with podnet's comment", () => {
    expect(renderFirewall(node1).forwardAccept).toEqual([
      ['-s', '10.244.0.0/16', '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT'],
      ['-d', '10.244.0.0/16', '-m', 'comment', '--comment', 'podnet', '-j', 'ACCEPT'],
    ]);
  });

  it('restrictInput: drop by default, keep SSH from anywhere and the control-plane ports from peers', () => {
    const { nft } = renderFirewall(node1);
    expect(nft).toContain('type filter hook input priority filter; policy drop;');
    expect(nft).toContain('ct state established,related accept');
    expect(nft).toContain('iif "lo" accept');
    expect(nft).toContain('iifname "v-net-0" accept');
    expect(nft).toMatch(/^ {4}tcp dport 22 counter accept/m);
    for (const p of [
      'tcp dport 6443',
      'tcp dport 2379-2380',
      'tcp dport 10250',
      'tcp dport 10257',
      'tcp dport 10259',
      'tcp dport 30000-32767',
      'udp dport 30000-32767',
      'tcp dport 9650',
    ]) {
      expect(nft).toContain(`iifname "eth0" ip saddr @peers ${p} counter accept`);
    }
    expect(OPEN_PORTS.map((p) => p.name)).toContain('kube-apiserver');
  });

  it('without restrictInput there is no input chain', () => {
    expect(renderFirewall({ ...node1, restrictInput: false }).nft).not.toContain('hook input');
  });

  it('is deterministic: the same input (peers in any order) renders the same script', () => {
    expect(renderFirewall({ ...node1, peers: ['192.168.1.12', '192.168.1.13', '192.168.1.12'] })).toEqual(
      renderFirewall(node1),
    );
  });

  it('refuses values that would change the script instead of filling it in', () => {
    expect(() => renderFirewall({ ...node1, bridge: 'br" accept' })).toThrow(FirewallInputError);
    expect(() => renderFirewall({ ...node1, podCIDR: '10.244.1.0' })).toThrow(
      /podCIDR "10.244.1.0" is not an IPv4 CIDR/,
    );
    expect(() => renderFirewall({ ...node1, peers: ['node2'] })).toThrow(/peers "node2"/);
  });
});

// nft -c parses the script and checks it against the kernel without committing; it runs
// in a throwaway namespace so that even a bug here could touch nothing of the machine's.
describe('nft -c accepts the rendered script', () => {
  let ns: Namespaces;
  beforeEach(() => {
    ns = new Namespaces();
  });
  afterEach(() => ns.removeAll());

  const check = (input: FirewallInput) => {
    const r = spawnSync('nsenter', [`--net=${nsPath(ns.add('check'))}`, '--', 'nft', '-c', '-f', '-'], {
      input: renderFirewall(input).nft,
      encoding: 'utf8',
    });
    return `${r.status} ${r.stderr}`;
  };

  it.each([
    ['restricted', node1],
    ['open', { ...node1, restrictInput: false }],
    ['no peers yet', { ...node1, peers: [] }],
  ])('%s', (_name, input) => {
    expect(check(input)).toBe('0 ');
  });
});
