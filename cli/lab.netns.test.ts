// bin/podnet lab … as a user's script drives it: the JSON contract of `lab status`,
// exit statuses, and clear refusals.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';

const labId = `t${randomBytes(3).toString('hex')}`;
const podnet = (...args: string[]) => spawnSync('bin/podnet', [...args, '--lab-id', labId], { encoding: 'utf8' });
const podnetExec = (...args: string[]) =>
  spawnSync('bin/podnet', ['lab', 'exec', ...args.slice(0, 1), '--lab-id', labId, ...args.slice(1)], {
    encoding: 'utf8',
  });

describe('bin/podnet lab', () => {
  afterAll(() => {
    podnet('lab', 'down');
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`podnet-${labId}-`);
  });

  it('lab up --json and lab status --json give the contract fields', () => {
    const up = podnet('lab', 'up', '--nodes', '2', '--pods-per-node', '1', '--json');
    expect(up.status, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).changed).toBe(true);
    const status = JSON.parse(podnet('lab', 'status', '--json').stdout);
    expect(status).toMatchObject({
      labId,
      routing: 'host-gw',
      tokenFile: `/run/podnet/${labId}/agent.token`,
      dashboard: null,
      router: null,
      outside: { ip: '192.168.1.200', netns: `podnet-${labId}-outside` },
      healthy: true,
    });
    expect(status.nodes).toEqual([
      {
        name: 'node1',
        index: 1,
        ip: '192.168.1.11',
        podCIDR: '10.244.1.0/24',
        gateway: '10.244.1.1',
        netns: `podnet-${labId}-node1`,
        agent: `unix:/run/podnet/${labId}/nodes/node1/agent.sock`,
      },
      {
        name: 'node2',
        index: 2,
        ip: '192.168.1.12',
        podCIDR: '10.244.2.0/24',
        gateway: '10.244.2.1',
        netns: `podnet-${labId}-node2`,
        agent: `unix:/run/podnet/${labId}/nodes/node2/agent.sock`,
      },
    ]);
    expect(
      status.pods.map((p: { name: string; namespace: string; node: string; ip: string }) => [
        p.namespace,
        p.name,
        p.node,
        p.ip,
      ]),
    ).toEqual([
      ['default', 'web-1', 'node1', '10.244.1.2'],
      ['default', 'web-2', 'node2', '10.244.2.2'],
    ]);
  });

  it('lab exec runs in the pod and passes its exit status on', () => {
    const r = podnetExec('web-1', '--', 'ip', '-br', 'addr', 'show', 'eth0');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('10.244.1.2/24');
    expect(podnetExec('web-1', '--', 'sh', '-c', 'exit 7').status).toBe(7);
    expect(podnetExec('node2', '--', 'ip', 'route').stdout).toContain('10.244.1.0/24 via 192.168.1.11');
    const none = podnetExec('nosuch', '--', 'true');
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no pod nosuch in the lab \(pods: web-1, web-2\); nodes: node1, node2/);
  });

  it('check --json passes on the healthy lab', () => {
    const r = podnet('check', '--json');
    expect(r.status, r.stdout).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ ok: true, failures: [] });
    expect(report.pairs).toHaveLength(2);
  });

  it('refuses bad input with a clear message and changes nothing', () => {
    const bad = podnet('lab', 'pod', 'add', 'Web_1', '--node', 'node1');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/pod name "Web_1" is not a Kubernetes name/);
    const nodes = podnet('lab', 'up', '--nodes', 'three');
    expect(nodes.status).toBe(2);
    expect(nodes.stderr).toMatch(/--nodes must be a whole number, got "three"/);
    const other = podnet('lab', 'up', '--nodes', '3', '--pods-per-node', '1');
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(
      /the lab is up with --nodes 2 --pods-per-node 1 --routing host-gw; run "podnet lab down" first/,
    );
    expect(JSON.parse(podnet('lab', 'status', '--json').stdout).pods).toHaveLength(2);
  });
});
