// trace.run and trace.matrix as the page calls them, against a real lab of this test's
// own through the dashboard's lab source: the expected path comes first and the result
// fills in; read-only sends no packets; a node whose agent is gone is "not verified".
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TraceResult } from '../../../lib/model/trace';
import type { MatrixResult } from '../../../lib/trace/matrix';
import { LabSource } from '../../sources/lab';
import { ClusterView } from '../../topology/cluster-view';
import { createCaller } from '../root';
import { RateLimiter } from '../../audit';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('trace procedures on a lab', () => {
  // The lab is made as a user makes it: the web app's code does not import the lab's.
  const labId = `t${randomBytes(3).toString('hex')}`;
  const lab = (...args: string[]) => spawnSync('bin/podnet', ['lab', ...args, '--lab-id', labId], { encoding: 'utf8' });
  const views: ClusterView[] = [];
  const caller = async (readOnly: boolean) => {
    const view = new ClusterView(new LabSource(labId), readOnly);
    views.push(view);
    await view.start();
    return createCaller({ cluster: view, headers: new Headers(), limiter: new RateLimiter(0) });
  };

  beforeAll(() => {
    const up = lab('up', '--nodes', '2', '--pods-per-node', '2');
    if (up.status !== 0) throw new Error(`lab up failed: ${up.stderr}`);
  }, 180_000);

  afterAll(async () => {
    for (const v of views) await v.close();
    lab('down');
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`podnet-${labId}-`);
  });

  it('trace.run streams the path first, then the kernel, then the probe, and ends healthy', async () => {
    const api = await caller(false);
    const updates = await all<TraceResult>(await api.trace.run({ from: 'web-1', to: 'default/web-3' }));
    expect(updates[0]!.phase).toBe('path');
    expect(updates[0]!.forward.map((h) => h.where.name)).toEqual([
      'default/web-1',
      'node1',
      'LAN',
      'node2',
      'default/web-3',
    ]);
    const last = updates.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', status: 'ok', probe: { reachable: true } });
    expect(last.forward.filter((h) => h.role !== 'lan').every((h) => h.kernel === 'agrees')).toBe(true);
  });

  it("read-only: the path and the kernel's lookups, no probe", async () => {
    const api = await caller(true);
    const last = (await all<TraceResult>(await api.trace.run({ from: 'web-1', to: '10.244.2.2' }))).at(-1)!;
    expect(last.probe).toBeNull();
    expect(last.forward[1]!.kernel).toBe('agrees');
    expect(last.notes.join(' ')).toContain('no packets sent');
    await expect(async () => all(await api.trace.matrix())).rejects.toThrow(/read-only/);
  });

  it('refuses bad input before anything runs', async () => {
    const api = await caller(false);
    await expect(async () => all(await api.trace.run({ from: 'web-1', to: 'web-3; reboot' }))).rejects.toThrow(
      /neither an IPv4 address nor a pod/,
    );
    await expect(async () => all(await api.trace.run({ from: 'nosuch', to: 'web-3' }))).rejects.toThrow(
      /no pod default\/nosuch/,
    );
  });

  it('trace.matrix pings every pair through the agents and sums them per node pair', async () => {
    const api = await caller(false);
    const updates = await all<MatrixResult>(await api.trace.matrix());
    const last = updates.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.sampled).toBe(false);
    expect(last.pairs).toHaveLength(12);
    expect(last.pairs.every((x) => x.state === 'ok')).toBe(true);
    expect(last.cells.map((c) => [c.from, c.to, c.ok, c.failed])).toEqual([
      ['node1', 'node1', 2, 0],
      ['node1', 'node2', 4, 0],
      ['node2', 'node1', 4, 0],
      ['node2', 'node2', 2, 0],
    ]);
    expect(updates[0]!.pairs.every((x) => x.state === 'pending')).toBe(true);
  });
});
