// The podnet plugin driven as a runtime drives it, in real namespaces, for every spec
// version it accepts; each step is checked from the kernel's side, not only the result.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attachmentFiles, leases, nodeFixture, podnetConf, runPlugin, tempDirs } from '../test/cni.js';
import { execIn, ipIn, linkNames, Namespaces, nsPath } from '../test/netns.js';
import { hostVethName } from './podnet/names.js';

const VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

interface Link {
  ifname: string;
  flags: string[];
  master?: string;
  address: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
  linkinfo?: { info_slave_data?: { hairpin?: boolean } };
}

describe.each(VERSIONS)('podnet at cniVersion %s', (cniVersion) => {
  const f = nodeFixture();

  const conf = (extra: Record<string, unknown> = {}) =>
    podnetConf({ cniVersion, state: f.dirs.state, dataDir: f.dirs.ipam, ...extra });
  const add = (pod: string, id: string, extra: Record<string, unknown> = {}) =>
    runPlugin('podnet', conf(extra), {
      command: 'ADD',
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
      nodeNs: f.node,
    });

  it('ADD wires the pod into v-net-0 with its address and default route, and records the attachment', () => {
    const pod = f.ns.add('pod1');
    const r = add(pod, 'web-1', { hairpinMode: true, mtu: 1400 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);

    // The result, in the version asked for.
    expect(r.json.cniVersion).toBe(cniVersion);
    const veth = hostVethName('web-1', 'eth0');
    expect(r.json.interfaces.map((i: { name: string }) => i.name)).toEqual(['v-net-0', veth, 'eth0']);
    expect(r.json.interfaces[2].sandbox).toBe(nsPath(pod));
    expect(r.json.ips).toHaveLength(1);
    expect(r.json.ips[0]).toMatchObject({ interface: 2, address: '10.244.1.2/24', gateway: '10.244.1.1' });
    if (cniVersion < '1.0.0') expect(r.json.ips[0].version).toBe('4');
    else expect(r.json.ips[0]).not.toHaveProperty('version');
    expect(r.json.routes).toEqual([{ dst: '0.0.0.0/0', gw: '10.244.1.1' }]);

    // The node's side, as the kernel has it.
    const bridge = ipIn<Link>(f.node, ['-d', 'addr', 'show', 'dev', 'v-net-0'])[0]!;
    expect(bridge.flags).toContain('UP');
    expect(bridge.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '10.244.1.1/24',
    ]);
    expect(bridge.address).toBe(r.json.interfaces[0].mac);
    const host = ipIn<Link & { mtu: number }>(f.node, ['-d', 'link', 'show', 'dev', veth])[0]!;
    expect(host.master).toBe('v-net-0');
    expect(host.flags).toContain('UP');
    expect(host.mtu).toBe(1400);
    expect(host.linkinfo?.info_slave_data?.hairpin).toBe(true);
    expect(execIn(f.node, ['cat', '/proc/sys/net/ipv4/ip_forward']).out.trim()).toBe('1');

    // The pod's side.
    const eth0 = ipIn<Link & { mtu: number }>(pod, ['addr', 'show', 'dev', 'eth0'])[0]!;
    expect(eth0.address).toBe(r.json.interfaces[2].mac);
    expect(eth0.mtu).toBe(1400);
    expect(eth0.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      '10.244.1.2/24',
    ]);
    const routes = ipIn<{ dst: string; gateway?: string }>(pod, ['route', 'show']);
    expect(routes).toContainEqual(expect.objectContaining({ dst: 'default', gateway: '10.244.1.1' }));

    // The lease and the attachment record the agent will read.
    expect(leases(f.dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);
    const record = JSON.parse(readFileSync(join(f.dirs.state, 'attachments', 'tnet', 'web-1@eth0.json'), 'utf8'));
    expect(record).toMatchObject({
      containerID: 'web-1',
      ifname: 'eth0',
      netns: nsPath(pod),
      podNamespace: 'default',
      podName: 'web-1',
      hostVeth: veth,
      ips: ['10.244.1.2/24'],
    });
  });

  it('pods on one node reach each other and their gateway through the bridge', () => {
    const a = f.ns.add('a');
    const b = f.ns.add('b');
    expect(add(a, 'pod-a').status).toBe(0);
    expect(add(b, 'pod-b').status).toBe(0);
    expect(execIn(a, ['ping', '-c1', '-W2', '10.244.1.3']).status).toBe(0);
    expect(execIn(b, ['ping', '-c1', '-W2', '10.244.1.2']).status).toBe(0);
    expect(execIn(b, ['ping', '-c1', '-W2', '10.244.1.1']).status).toBe(0);
  });

  it('an ADD on an existing bridge that lost its gateway address or went down repairs it', () => {
    expect(add(f.ns.add('a'), 'pod-a').status).toBe(0);
    execIn(f.node, ['ip', 'addr', 'flush', 'dev', 'v-net-0']);
    execIn(f.node, ['ip', 'link', 'set', 'v-net-0', 'down']);
    const b = f.ns.add('b');
    const r = add(b, 'pod-b');
    expect(r.status, r.stdout).toBe(0);
    const bridge = ipIn<Link>(f.node, ['addr', 'show', 'dev', 'v-net-0'])[0]!;
    expect(bridge.flags).toContain('UP');
    expect(bridge.addr_info?.filter((a) => a.family === 'inet').map((a) => a.local)).toEqual(['10.244.1.1']);
    expect(execIn(b, ['ping', '-c1', '-W2', '10.244.1.1']).status).toBe(0);
  });

  it('DEL removes veth, lease and record, and is idempotent (again, and with the netns gone)', () => {
    const pod = f.ns.add('pod');
    expect(add(pod, 'web-2').status).toBe(0);
    const del = () =>
      runPlugin('podnet', conf(), {
        command: 'DEL',
        containerID: 'web-2',
        netns: nsPath(pod),
        ifname: 'eth0',
        nodeNs: f.node,
      });
    const first = del();
    expect(first.status, first.stdout).toBe(0);
    expect(first.stdout).toBe('');
    expect(linkNames(f.node)).not.toContain(hostVethName('web-2', 'eth0'));
    expect(linkNames(pod)).not.toContain('eth0');
    expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual([]);
    expect(del().status).toBe(0);
    // A runtime may send DEL after the namespace is gone, or with no CNI_NETNS at all.
    const gone = runPlugin('podnet', conf(), {
      command: 'DEL',
      containerID: 'web-2',
      netns: '/run/netns/does-not-exist',
      ifname: 'eth0',
      nodeNs: f.node,
    });
    expect(gone.status, gone.stdout).toBe(0);
    const noNetns = runPlugin('podnet', conf(), {
      command: 'DEL',
      containerID: 'web-2',
      ifname: 'eth0',
      nodeNs: f.node,
    });
    expect(noNetns.status, noNetns.stdout).toBe(0);
  });

  it('VERSION lists every supported version', () => {
    const r = runPlugin('podnet', { cniVersion }, { command: 'VERSION', nodeNs: f.node });
    expect(r.status).toBe(0);
    expect(r.json.supportedVersions).toEqual([...VERSIONS]);
    expect(r.json.cniVersion).toBe(cniVersion);
  });

  it.skipIf(cniVersion < '0.4.0')('CHECK passes on a healthy attachment and names what broke', () => {
    const pod = f.ns.add('pod');
    const added = add(pod, 'web-3');
    expect(added.status).toBe(0);
    const check = () =>
      runPlugin(
        'podnet',
        { ...conf(), prevResult: added.json },
        { command: 'CHECK', containerID: 'web-3', netns: nsPath(pod), ifname: 'eth0', nodeNs: f.node },
      );
    expect(check().status, check().stdout).toBe(0);
    const veth = hostVethName('web-3', 'eth0');

    execIn(f.node, ['ip', 'link', 'set', veth, 'down']);
    let r = check();
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ code: 105, msg: `host veth ${veth} is down` });
    execIn(f.node, ['ip', 'link', 'set', veth, 'up']);

    execIn(f.node, ['ip', 'link', 'set', veth, 'nomaster']);
    r = check();
    expect(r.json.msg).toBe(`host veth ${veth} is not attached to any bridge, expected bridge v-net-0`);
    execIn(f.node, ['ip', 'link', 'set', veth, 'master', 'v-net-0']);

    execIn(pod, ['ip', 'route', 'del', 'default']);
    r = check();
    expect(r.json).toMatchObject({ code: 105, msg: `route default via 10.244.1.1 is missing from ${nsPath(pod)}` });
    execIn(pod, ['ip', 'route', 'add', 'default', 'via', '10.244.1.1']);
    expect(check().status).toBe(0);

    execIn(pod, ['ip', 'addr', 'del', '10.244.1.2/24', 'dev', 'eth0']);
    r = check();
    expect(r.json.msg).toMatch(/^address 10\.244\.1\.2\/24 is missing from eth0/);

    execIn(f.node, ['ip', 'link', 'del', veth]);
    r = check();
    expect(r.json.msg).toBe(`host veth ${veth} of web-3/eth0 is missing`);
  });

  it.skipIf(cniVersion < '1.1.0')('STATUS is ready while the range has room, 50 when it is full', () => {
    const small = { ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.1.0/30' }]], dataDir: f.dirs.ipam } };
    const ready = runPlugin('podnet', conf(small), { command: 'STATUS', nodeNs: f.node });
    expect(ready.status, ready.stdout).toBe(0);
    expect(add(f.ns.add('pod'), 'only', small).status).toBe(0);
    const r = runPlugin('podnet', conf(small), { command: 'STATUS', nodeNs: f.node });
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ code: 50, msg: 'no free address in range 10.244.1.0/30: ADD would fail' });
  });

  it.skipIf(cniVersion < '1.1.0')('GC releases every attachment not in cni.dev/valid-attachments', () => {
    const keep = f.ns.add('keep');
    const drop = f.ns.add('drop');
    expect(add(keep, 'keep-me').status).toBe(0);
    expect(add(drop, 'drop-me').status).toBe(0);
    const r = runPlugin(
      'podnet',
      { ...conf(), 'cni.dev/valid-attachments': [{ containerID: 'keep-me', ifname: 'eth0' }] },
      { command: 'GC', nodeNs: f.node },
    );
    expect(r.status, r.stdout).toBe(0);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual(['keep-me@eth0.json']);
    const links = linkNames(f.node);
    expect(links).toContain(hostVethName('keep-me', 'eth0'));
    expect(links).not.toContain(hostVethName('drop-me', 'eth0'));
    expect(execIn(keep, ['ping', '-c1', '-W2', '10.244.1.1']).status).toBe(0);
  });
});

describe('podnet across versions', () => {
  it('ADD in a conflist chain keeps prevResult and appends its own interfaces', () => {
    const ns = new Namespaces();
    const dirs = tempDirs();
    try {
      const node = ns.add('node');
      const pod = ns.add('pod');
      const prevResult = {
        cniVersion: '1.0.0',
        interfaces: [{ name: 'lo', sandbox: nsPath(pod) }],
        ips: [{ interface: 0, address: '127.0.0.1/8' }],
        dns: { nameservers: ['10.96.0.10'] },
      };
      const r = runPlugin(
        'podnet',
        { ...podnetConf({ cniVersion: '1.0.0', state: dirs.state, dataDir: dirs.ipam }), prevResult },
        { command: 'ADD', containerID: 'chained', netns: nsPath(pod), ifname: 'eth0', nodeNs: node },
      );
      expect(r.status, r.stdout).toBe(0);
      expect(r.json.interfaces.map((i: { name: string }) => i.name)).toEqual([
        'lo',
        'v-net-0',
        hostVethName('chained', 'eth0'),
        'eth0',
      ]);
      expect(r.json.ips).toEqual([
        { interface: 0, address: '127.0.0.1/8' },
        { interface: 3, address: '10.244.1.2/24', gateway: '10.244.1.1' },
      ]);
      expect(r.json.dns).toEqual({ nameservers: ['10.96.0.10'] });
    } finally {
      ns.removeAll();
      dirs.remove();
    }
  });
});
