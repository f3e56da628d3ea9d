// Interop with Debian's reference plugins, both ways: podnet with host-local as its IPAM,
// and the reference bridge with podnet-ipam. Configs are interchangeable by design.
import { describe, expect, it } from 'vitest';
import { attachmentFiles, leases, nodeFixture, runPlugin, tempDirs } from '../test/cni.js';
import { execIn, ipIn, linkNames, Namespaces, nsPath } from '../test/netns.js';
import { hostVethName } from './podnet/names.js';

const VERSIONS = ['0.3.1', '0.4.0', '1.0.0'] as const; // the reference plugins stop at 1.0.0

describe.each(VERSIONS)('interop at cniVersion %s', (cniVersion) => {
  const f = nodeFixture();

  const bridgeFields = { bridge: 'v-net-0', isGateway: true, isDefaultGateway: true, ipMasq: false };
  const ipam = (type: string) => ({ type, ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: f.dirs.ipam });

  it('podnet with the reference host-local: ADD, CHECK, DEL', () => {
    const conf = {
      cniVersion,
      name: 'tnet',
      type: 'podnet',
      stateDir: f.dirs.state,
      ...bridgeFields,
      ipam: ipam('host-local'),
    };
    const a = f.ns.add('a');
    const b = f.ns.add('b');
    const inv = (pod: string, id: string, command: 'ADD' | 'DEL' | 'CHECK') => ({
      command,
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      nodeNs: f.node,
    });
    const ra = runPlugin('podnet', conf, inv(a, 'ctr-a', 'ADD'));
    expect(ra.status, ra.stdout).toBe(0);
    expect(runPlugin('podnet', conf, inv(b, 'ctr-b', 'ADD')).status).toBe(0);
    expect(ra.json.ips[0]).toMatchObject({ address: '10.244.1.2/24', gateway: '10.244.1.1' });
    // host-local's own store holds the lease, under podnet's veth on the bridge.
    expect(leases(f.dirs.ipam, 'tnet').sort()).toEqual(['10.244.1.2', '10.244.1.3']);
    expect(ipIn<{ master?: string }>(f.node, ['link', 'show', 'dev', hostVethName('ctr-a', 'eth0')])[0]?.master).toBe(
      'v-net-0',
    );
    expect(execIn(a, ['ping', '-c1', '-W2', '10.244.1.3']).status).toBe(0);
    if (cniVersion >= '0.4.0') {
      const check = runPlugin('podnet', { ...conf, prevResult: ra.json }, inv(a, 'ctr-a', 'CHECK'));
      expect(check.status, check.stdout).toBe(0);
    }
    expect(runPlugin('podnet', conf, inv(a, 'ctr-a', 'DEL')).status).toBe(0);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual(['10.244.1.3']);
    expect(linkNames(f.node)).not.toContain(hostVethName('ctr-a', 'eth0'));
  });

  it('the reference bridge with podnet-ipam: ADD, CHECK, DEL', () => {
    // stateDir: podnet-ipam's log file; the reference bridge ignores the field.
    const conf = {
      cniVersion,
      name: 'tnet',
      type: 'bridge',
      stateDir: f.dirs.state,
      ...bridgeFields,
      ipam: ipam('podnet-ipam'),
    };
    const a = f.ns.add('a');
    const b = f.ns.add('b');
    const inv = (pod: string, id: string, command: 'ADD' | 'DEL' | 'CHECK') => ({
      command,
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      nodeNs: f.node,
    });
    const ra = runPlugin('bridge', conf, inv(a, 'ctr-a', 'ADD'));
    expect(ra.status, ra.stdout + ra.stderr).toBe(0);
    expect(runPlugin('bridge', conf, inv(b, 'ctr-b', 'ADD')).status).toBe(0);
    expect(ra.json.ips[0]).toMatchObject({ address: '10.244.1.2/24', gateway: '10.244.1.1' });
    expect(leases(f.dirs.ipam, 'tnet').sort()).toEqual(['10.244.1.2', '10.244.1.3']);
    expect(execIn(a, ['ip', '-br', 'addr', 'show', 'eth0']).out).toContain('10.244.1.2/24');
    expect(execIn(b, ['ping', '-c1', '-W2', '10.244.1.2']).status).toBe(0);
    if (cniVersion >= '0.4.0') {
      const check = runPlugin('bridge', { ...conf, prevResult: ra.json }, inv(a, 'ctr-a', 'CHECK'));
      expect(check.status, check.stdout + check.stderr).toBe(0);
    }
    expect(runPlugin('bridge', conf, inv(a, 'ctr-a', 'DEL')).status).toBe(0);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual(['10.244.1.3']);
    expect(runPlugin('bridge', conf, inv(b, 'ctr-b', 'DEL')).status).toBe(0);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
  });
});

// The config flannel users write: isGateway, no isDefaultGateway, and the default route in
// ipam.routes without "gw". The reference bridge routes it via the IPAM result's gateway
// (and so every route without "gw"); podnet must leave the kernel in the same state.
describe.each(VERSIONS)('routes without "gw", podnet against the reference bridge, at cniVersion %s', (cniVersion) => {
  const f = nodeFixture();

  interface Route {
    dst: string;
    gateway?: string;
    dev?: string;
    protocol?: string;
    scope?: string;
    prefsrc?: string;
    flags?: string[];
  }

  /** ADD with `type` in a node and pod of its own; the pod's routes as the kernel has them. */
  function attach(type: 'podnet' | 'bridge', ipam: Record<string, unknown>, isGateway = true) {
    const node = f.ns.add(`${type}-node`);
    const pod = f.ns.add(`${type}-pod`);
    const dataDir = `${f.dirs.root}/${type}-ipam`;
    const conf = {
      cniVersion,
      name: 'flannel',
      type,
      bridge: 'cni0',
      isGateway,
      ipMasq: false,
      stateDir: `${f.dirs.root}/${type}-state`,
      ipam: { dataDir, ...ipam },
    };
    const r = runPlugin(type, conf, {
      command: 'ADD',
      containerID: 'flannel-pod',
      netns: nsPath(pod),
      ifname: 'eth0',
      nodeNs: node,
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const routes = ipIn<Route>(pod, ['route', 'show']).sort((a, b) => a.dst.localeCompare(b.dst));
    // The reference's own CHECK fails here ("Expected Route {… GW:<nil>} not found"): it
    // looks for the route as IPAM gave it, not as it made it. podnet's passes.
    const check =
      cniVersion >= '0.4.0' && type === 'podnet'
        ? runPlugin(
            type,
            { ...conf, prevResult: r.json },
            { command: 'CHECK', containerID: 'flannel-pod', netns: nsPath(pod), ifname: 'eth0', nodeNs: node },
          )
        : null;
    if (check) expect(check.status, check.stdout + check.stderr).toBe(0);
    const del = runPlugin(type, conf, {
      command: 'DEL',
      containerID: 'flannel-pod',
      netns: nsPath(pod),
      ifname: 'eth0',
      nodeNs: node,
    });
    expect(del.status, del.stdout + del.stderr).toBe(0);
    expect(linkNames(pod)).toEqual(['lo']);
    return { result: r.json, routes };
  }

  const flannelRoutes = [{ dst: '0.0.0.0/0' }, { dst: '10.96.0.0/12' }, { dst: '172.16.0.0/16', gw: '10.244.1.254' }];

  it.each(['host-local', 'podnet-ipam'])(
    'with %s: default and other routes go via the gateway, as the reference has them',
    (ipamType) => {
      const ipam = { type: ipamType, ranges: [[{ subnet: '10.244.1.0/24' }]], routes: flannelRoutes };
      const podnet = attach('podnet', ipam);
      const reference = attach('bridge', ipam);
      expect(podnet.routes).toContainEqual(
        expect.objectContaining({ dst: 'default', gateway: '10.244.1.1', dev: 'eth0' }),
      );
      expect(podnet.routes).toContainEqual(
        expect.objectContaining({ dst: '10.96.0.0/12', gateway: '10.244.1.1', dev: 'eth0' }),
      );
      expect(podnet.routes).toContainEqual(
        expect.objectContaining({ dst: '172.16.0.0/16', gateway: '10.244.1.254', dev: 'eth0' }),
      );
      expect(podnet.routes).toEqual(reference.routes);
      // The result keeps the routes as IPAM gave them, as the reference's does.
      expect(podnet.result.routes).toEqual(reference.result.routes);
      expect(podnet.result.ips).toEqual(reference.result.ips);
    },
  );

  const noGateway = {
    type: 'static',
    addresses: [{ address: '10.244.1.5/24' }],
    routes: [{ dst: '0.0.0.0/0' }, { dst: '10.96.0.0/12' }],
  };

  it("with an IPAM result without a gateway and isGateway: the subnet's first address is the gateway, as the reference makes it", () => {
    const podnet = attach('podnet', noGateway);
    const reference = attach('bridge', noGateway);
    expect(podnet.routes).toContainEqual(
      expect.objectContaining({ dst: 'default', gateway: '10.244.1.1', dev: 'eth0' }),
    );
    expect(podnet.routes).toEqual(reference.routes);
    expect(podnet.result.ips).toEqual(reference.result.ips);
  });

  it('with no gateway at all (static, isGateway false): routes stay on-link, scope global, as the reference has them', () => {
    const podnet = attach('podnet', noGateway, false);
    const reference = attach('bridge', noGateway, false);
    expect(podnet.routes).toContainEqual({ dst: 'default', dev: 'eth0', flags: [] });
    expect(podnet.routes).toEqual(reference.routes);
    expect(podnet.result.ips).toEqual(reference.result.ips);
  });
});

describe('GC with an IPAM plugin from before spec 1.1', () => {
  it('releases host-local leases of stale attachments with DEL, and says what it could not check', () => {
    const ns = new Namespaces();
    const dirs = tempDirs();
    try {
      const node = ns.add('node');
      const pods = [ns.add('a'), ns.add('b')];
      const conf = (cniVersion: string) => ({
        cniVersion,
        name: 'tnet',
        type: 'podnet',
        stateDir: dirs.state,
        bridge: 'v-net-0',
        isGateway: true,
        ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: dirs.ipam },
      });
      pods.forEach((pod, i) => {
        const r = runPlugin('podnet', conf('1.0.0'), {
          command: 'ADD',
          containerID: `c${i}`,
          netns: nsPath(pod),
          ifname: 'eth0',
          nodeNs: node,
        });
        expect(r.status, r.stdout).toBe(0);
      });
      const gc = runPlugin(
        'podnet',
        { ...conf('1.1.0'), 'cni.dev/valid-attachments': [{ containerID: 'c0', ifname: 'eth0' }] },
        { command: 'GC', nodeNs: node },
      );
      expect(gc.status, gc.stdout).toBe(0);
      expect(leases(dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);
      expect(attachmentFiles(dirs.state, 'tnet')).toEqual(['c0@eth0.json']);
      expect(linkNames(node)).not.toContain(hostVethName('c1', 'eth0'));
      expect(gc.stderr).toMatch(/host-local does not speak CNI 1\.1\.0, so it has no GC: .* were not checked/);
    } finally {
      ns.removeAll();
      dirs.remove();
    }
  });
});
