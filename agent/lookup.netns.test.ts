// POST /v1/lookup on a real lab's agent, over its socket with the lab's token: the kernel's
// own answers (a pod's route, the forwarding lookup with from/iif, links, sysctls, the
// firewall), the kernel's refusal when forwarding is off, and hostile requests refused
// with 400 before anything runs.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabInventory } from '../lab/inventory.js';
import { labDown, labUp } from '../lab/lab.js';
import { labPaths } from '../lab/paths.js';
import type { LookupResult } from '../lib/model/trace.js';
import { call } from '../test/agent-client.js';

describe("the agent's kernel lookups", () => {
  const p = labPaths(`t${randomBytes(3).toString('hex')}`);
  let lab: LabInventory;
  let token: string;
  const socket = () => lab.nodes[0]!.agent!.slice('unix:'.length);
  const lookup = (lookups: unknown, t: string | null = token) => call(socket(), t, 'POST', '/v1/lookup', { lookups });
  const inNode1 = (...cmd: string[]) =>
    spawnSync('nsenter', [`--net=/run/netns/${lab.nodes[0]!.netns}`, '--', ...cmd], { encoding: 'utf8' });

  beforeAll(async () => {
    lab = (await labUp(p, { nodes: 2, podsPerNode: 1, routing: 'host-gw' }, () => {})).inventory;
    token = readFileSync(lab.tokenFile!, 'utf8').trim();
  }, 180_000);

  afterAll(async () => {
    await labDown(p);
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(p.prefix);
  });

  it("answers with the kernel's decisions, in the request's order", async () => {
    const r = await lookup([
      { kind: 'route', at: { pod: 'web-1' }, dst: '10.244.2.2' },
      { kind: 'route', at: { node: true }, dst: '10.244.2.2', from: '10.244.1.2', iif: 'v-net-0' },
      { kind: 'link', at: { node: true }, dev: 'v-net-0' },
      { kind: 'sysctl', at: { node: true }, dev: 'v-net-0' },
      { kind: 'firewall', at: { node: true } },
      { kind: 'route', at: { pod: 'web-2' }, dst: '10.244.1.2' },
    ]);
    expect(r.status).toBe(200);
    const [pod, fwd, link, sysctl, fw, other] = r.body.results as LookupResult[];
    expect(pod).toMatchObject({ ok: true, route: { gateway: '10.244.1.1', dev: 'eth0', type: 'unicast' } });
    expect(pod!.command.slice(0, 3)).toEqual(['nsenter', `--net=/run/netns/${lab.pods[0]!.netns}`, '--']);
    expect(fwd).toMatchObject({
      ok: true,
      route: { gateway: '192.168.1.12', dev: 'eth0' },
      command: ['ip', '-j', 'route', 'get', '10.244.2.2', 'from', '10.244.1.2', 'iif', 'v-net-0'],
    });
    expect(link).toMatchObject({ ok: true, link: { name: 'v-net-0', up: true, mtu: 1500 } });
    expect(sysctl).toMatchObject({ ok: true, sysctl: { ipForward: true } });
    expect(fw).toMatchObject({ ok: true, firewall: { table: true, forwardAccepts: true } });
    // web-2 runs on node2: node1's agent does not enter another node's pods.
    expect(other).toMatchObject({ ok: false, error: 'no pod web-2 on this node', command: [] });
  });

  it('forwarding off: the kernel itself refuses the forwarding lookup', async () => {
    expect(inNode1('sysctl', '-qw', 'net.ipv4.ip_forward=0').status).toBe(0);
    try {
      const r = await lookup([
        { kind: 'route', at: { node: true }, dst: '10.244.2.2', from: '10.244.1.2', iif: 'v-net-0' },
        { kind: 'sysctl', at: { node: true } },
      ]);
      expect(r.body.results[0]).toMatchObject({ ok: false, error: 'No route to host', route: null });
      expect(r.body.results[1]).toMatchObject({ sysctl: { ipForward: false } });
    } finally {
      inNode1('sysctl', '-qw', 'net.ipv4.ip_forward=1');
    }
  });

  it('a link that does not exist is an answer, not an error', async () => {
    const r = await lookup([{ kind: 'link', at: { node: true }, dev: 'veth-gone' }]);
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toMatchObject({ ok: false, error: 'no link veth-gone', link: null });
  });

  it('refuses hostile requests with 400 and changes nothing', async () => {
    const before = inNode1('ip', 'route').stdout;
    for (const [bad, message] of [
      [[{ kind: 'link', at: { node: true }, dev: 'eth0\nroute del default' }], /interface name/],
      [
        [{ kind: 'route', at: { node: true }, dst: '10.244.2.2', from: '10.244.1.2', iif: 'lo; ip route flush all' }],
        /interface name/,
      ],
      [[{ kind: 'sysctl', at: { node: true }, dev: '../../../../proc/sysrq-trigger' }], /interface name/],
      [[{ kind: 'neigh', at: { node: true }, address: '10.244.2.2 flush', dev: 'eth0' }], /IPv4 address/],
      [[{ kind: 'route', at: { pod: '../../../etc' }, dst: '10.244.2.2' }], /lookups\[0\]\.at\.pod/],
      ['not a list', /lookups must be an array/],
    ] as const) {
      const r = await lookup(bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.error).toMatch(message);
    }
    const raw = await call(socket(), token, 'POST', '/v1/lookup', 'not json');
    expect(raw.status).toBe(400);
    expect(inNode1('ip', 'route').stdout).toBe(before);
  });

  it('needs the bearer token', async () => {
    const r = await lookup([{ kind: 'firewall', at: { node: true } }], 'x'.repeat(32));
    expect(r.status).toBe(401);
  });
});
