import { describe, expect, it } from 'vitest';
import {
  crossNodeRouteMissing,
  crossNodeRouteNotOurs,
  forwardingOff,
  healthyNode1,
  podVethDown,
} from '../test/fixtures/snapshots.js';
import { computeFindings, type Intent } from './findings.js';
import { planRoutes, routeArgv } from './reconcile.js';
import { departedPeerRouteLeft } from '../test/fixtures/snapshots.js';

const hostGw: Intent = {
  routing: 'host-gw',
  peers: [{ name: 'node2', ip: '192.168.1.12', podCIDR: '10.244.2.0/24' }],
  router: null,
  clusterNetwork: '10.244.0.0/16',
  expectFirewall: true,
  uplink: 'eth0',
};
const leases = [{ ip: '10.244.1.2', containerID: 'c1', ifname: 'eth0' }];

describe('computeFindings', () => {
  it('finds nothing on a healthy node', () => {
    expect(computeFindings(healthyNode1, leases, hostGw)).toEqual([]);
  });
  it('names a missing cross-node route with the command that fixes it', () => {
    expect(computeFindings(crossNodeRouteMissing, leases, hostGw)).toEqual([
      expect.objectContaining({
        id: 'route-missing:10.244.2.0/24',
        expected: '10.244.2.0/24 via 192.168.1.12 dev eth0',
        actual: 'no route',
        fix: 'ip route replace 10.244.2.0/24 via 192.168.1.12 dev eth0 proto 151',
      }),
    ]);
  });
  it('reports a route that goes the wrong way', () => {
    expect(computeFindings(crossNodeRouteNotOurs, leases, hostGw)[0]).toMatchObject({
      id: 'route-wrong:10.244.2.0/24',
      expected: 'via 192.168.1.12',
      actual: 'via 192.168.1.99 dev eth0',
    });
  });
  it('reports a pod veth that is down, and forwarding off', () => {
    expect(computeFindings(podVethDown, leases, hostGw).map((f) => f.id)).toEqual(['veth-down:veth0000000000a']);
    expect(computeFindings(forwardingOff, leases, hostGw).map((f) => f.id)).toEqual(['forwarding-off']);
  });
  it('tells a leaked lease from a pod without a lease', () => {
    expect(
      computeFindings(healthyNode1, [...leases, { ip: '10.244.1.9', containerID: 'gone', ifname: 'eth0' }], hostGw).map(
        (f) => f.id,
      ),
    ).toEqual(['lease-orphan:10.244.1.9']);
    expect(computeFindings(healthyNode1, [], hostGw).map((f) => f.id)).toEqual(['veth-unleased:veth0000000000a']);
    expect(computeFindings(healthyNode1, null, hostGw)).toEqual([]); // delegated IPAM: leases unknown
  });
});

describe('planRoutes', () => {
  it('adds what is missing, leaves what is right, and never touches a route it does not own', () => {
    expect(planRoutes(healthyNode1, hostGw)).toEqual([]);
    expect(planRoutes(crossNodeRouteMissing, hostGw)).toEqual([
      { action: 'add', dst: '10.244.2.0/24', via: '192.168.1.12', dev: 'eth0', was: null },
    ]);
    expect(planRoutes(crossNodeRouteNotOurs, hostGw)).toEqual([]);
  });
  it('removes its own route to a node that left', () => {
    expect(planRoutes(departedPeerRouteLeft, hostGw)).toEqual([
      { action: 'remove', dst: '10.244.9.0/24', via: '192.168.1.19', dev: 'eth0', was: 'via 192.168.1.19 dev eth0' },
    ]);
  });
  it('programs nothing outside host-gw', () => {
    expect(planRoutes(crossNodeRouteMissing, { ...hostGw, routing: 'router' })).toEqual([]);
  });
  it('leaves a route alone while a lab fault holds it', () => {
    expect(
      planRoutes(crossNodeRouteMissing, {
        ...hostGw,
        held: [{ kind: 'missing-route', node: 'node1', pod: null, target: '10.244.2.0/24', detail: '', at: '' }],
      }),
    ).toEqual([]);
  });
});

describe('routeArgv', () => {
  it('is argv from parsed values', () => {
    expect(routeArgv({ action: 'add', dst: '10.244.2.0/24', via: '192.168.1.12', dev: 'eth0', was: null })).toEqual([
      'route',
      'replace',
      '10.244.2.0/24',
      'via',
      '192.168.1.12',
      'dev',
      'eth0',
      'proto',
      '151',
    ]);
    expect(routeArgv({ action: 'remove', dst: '10.244.9.0/24', via: '192.168.1.19', dev: 'eth0', was: null })).toEqual([
      'route',
      'del',
      '10.244.9.0/24',
      'via',
      '192.168.1.19',
      'dev',
      'eth0',
      'proto',
      '151',
    ]);
  });
  it('refuses a value that is not what it claims to be (a Node object carrying commands)', () => {
    const ok = { action: 'add' as const, dst: '10.244.2.0/24', via: '192.168.1.12', dev: 'eth0', was: null };
    expect(routeArgv({ ...ok, via: '192.168.1.12\nroute add 10.99.0.0/16 dev lo\n#' })).toBeNull();
    expect(routeArgv({ ...ok, dst: '10.244.2.0/24 dev lo' })).toBeNull();
    expect(routeArgv({ ...ok, dst: '10.244.2.1/24' })).toBeNull();
    expect(routeArgv({ ...ok, dev: 'eth0 table 7' })).toBeNull();
    expect(routeArgv({ ...ok, via: '-force' })).toBeNull();
  });
});
