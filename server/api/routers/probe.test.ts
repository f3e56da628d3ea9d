// probe.run hands the agent's 200 answer to the page only once it parses as a result of
// the kind asked for: a fake agent on a unix socket answers with a wrong field, and the
// panel's error names the node and the field instead of the page failing on it.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeJsonAgent } from '../../../test/fake-agent';
import { RateLimiter } from '../../audit';
import type { ClusterView } from '../../topology/cluster-view';
import { createCaller } from '../root';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.restoreAllMocks();
});

/** An "agent" that answers every request 200 with `reply`, closed after the test. */
async function fakeAgent(reply: unknown): Promise<string> {
  const agent = await fakeJsonAgent(() => reply);
  cleanups.push(() => agent.close());
  return agent.address;
}

/** The little of a cluster view probe.run reads: one pod on node2, whose agent is `address`. */
function callerFor(address: string) {
  vi.spyOn(console, 'log').mockImplementation(() => {}); // the audit line
  const topology = { pods: [{ key: 'default/web-3', node: 'node2' }], nodes: [{ name: 'node2', agent: { address } }] };
  const cluster = {
    readOnly: false,
    current: () => ({ topology }),
    agentToken: () => 'a-token-of-sixteen',
  } as unknown as ClusterView;
  return createCaller({ cluster, headers: new Headers(), limiter: new RateLimiter(0) });
}

const routeGet = {
  kind: 'route-get',
  ok: true,
  timedOut: false,
  from: { pod: 'default/web-3' },
  to: { ref: '10.244.1.2', ip: '10.244.1.2', pod: null },
  command: ['nsenter', '--net=/run/netns/x', '--', 'ip', '-j', 'route', 'get', '10.244.1.2'],
  exitCode: 0,
  signal: null,
  error: null,
  durationMs: 3,
  queuedMs: 0,
  startedAt: '2026-12-01T02:13:05.000Z',
  raw: [],
  route: {
    dst: '10.244.1.2',
    type: 'unicast',
    gateway: '10.244.2.1',
    dev: 'eth0',
    prefsrc: '10.244.2.2',
    table: null,
    flags: [],
    raw: { dst: '10.244.1.2' },
  },
};
const input = { kind: 'route-get', from: 'default/web-3', to: '10.244.1.2' } as const;

describe("probe.run reads the agent's reply with its schema", () => {
  it('a valid reply is the result', async () => {
    const caller = callerFor(await fakeAgent(routeGet));
    await expect(caller.probe.run(input)).resolves.toEqual(routeGet);
  });

  it('a wrong field is an error naming the node and the field', async () => {
    const caller = callerFor(await fakeAgent({ ...routeGet, route: { ...routeGet.route, dev: ['eth0'] } }));
    await expect(caller.probe.run(input)).rejects.toMatchObject({
      code: 'BAD_GATEWAY',
      message:
        'the agent on node2 sent an invalid route-get probe reply: route.dev: Invalid input: expected string, received array',
    });
  });

  it('a result of another kind than asked is refused, and so is a body that is no result at all', async () => {
    await expect(callerFor(await fakeAgent({ ...routeGet, kind: 'ping' })).probe.run(input)).rejects.toThrow(
      'the agent on node2 sent an invalid route-get probe reply: kind: a route-get result was asked for, got "ping"',
    );
    await expect(callerFor(await fakeAgent([])).probe.run(input)).rejects.toThrow(
      /^the agent on node2 sent an invalid route-get probe reply: Invalid input: expected object, received array$/,
    );
  });
});
