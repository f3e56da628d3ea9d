// A lab command killed half-way leaves nothing `lab down` does not remove: `lab pod add`
// SIGKILLed while its pod's namespace exists (its CNI ADD held up by the node's lease
// lock, so the kill lands there every time), and a lab whose inventory is gone. And a lab
// id that would share names with the main lab is refused before anything is made.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Holders } from '../test/lock-holders.js';
import { readInventory } from './inventory.js';
import { labDown, labUp } from './lab.js';
import { labFiles, labPaths, nodeDir } from './paths.js';

const podnet = join(__dirname, '..', 'bin', 'podnet');
const netnsList = () =>
  spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean);
const labNamespaces = (prefix: string) => netnsList().filter((n) => n.startsWith(prefix));

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('lab commands killed half-way', () => {
  const p = labPaths(`k${randomBytes(3).toString('hex')}`);
  let holders: Holders;
  const started: number[] = [];
  beforeEach(async () => {
    holders = await Holders.create();
  });
  afterEach(async () => {
    for (const pid of started.splice(0)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    await holders.stopAll();
  });
  afterAll(async () => {
    for (const n of labNamespaces(p.prefix)) spawnSync('ip', ['netns', 'del', n]); // the test's own, also the unplanned one
    await labDown(p); // also when a test failed half-way
    expect(labNamespaces(p.prefix)).toEqual([]);
  });

  /** A lab of one node, and `lab pod add victim` SIGKILLed while its namespace exists:
   *  node1's lease lock is held meanwhile, so its ADD waits there. */
  async function killPodAddMidway(): Promise<{ victim: string; ipamDir: string }> {
    await labUp(p, { nodes: 1, podsPerNode: 0, routing: 'host-gw' }, () => {});
    const ipamDir = join(nodeDir(p, 'node1'), 'ipam', 'podnet');
    mkdirSync(ipamDir, { recursive: true });
    const holder = await holders.start(join(ipamDir, 'podnet.lock'));
    await holder.ask('hold');
    const victim = `${p.prefix}pod-default_victim`;
    const add = spawn(podnet, ['lab', 'pod', 'add', 'victim', '--node', 'node1', '--lab-id', p.labId!], {
      stdio: 'ignore',
    });
    started.push(add.pid!);
    const exited = new Promise((r) => add.once('exit', r));
    await until(`namespace ${victim}`, () => existsSync(`/run/netns/${victim}`), 30_000);
    process.kill(add.pid!, 'SIGKILL'); // bin/podnet execs node: this PID is the command itself
    await exited;
    await holder.ask('release');
    return { victim, ipamDir };
  }

  it('lab pod add, SIGKILLed once its namespace exists: lab down removes that namespace', async () => {
    const { victim } = await killPodAddMidway();
    expect(existsSync(`/run/netns/${victim}`)).toBe(true);
    const inv = readInventory(p)!;
    expect(inv.pods).toEqual([]); // never finished …
    expect(inv.pending?.map((x) => x.netns)).toEqual([victim]); // … but recorded before it was made

    const down = spawnSync(podnet, ['lab', 'down', '--lab-id', p.labId!, '--json'], { encoding: 'utf8' });
    expect(down.stderr).toBe('');
    expect(down.status).toBe(0);
    expect(JSON.parse(down.stdout).removed).toContain(victim);
    expect(existsSync(`/run/netns/${victim}`)).toBe(false);
    expect(labNamespaces(p.prefix)).toEqual([]);
  });

  it('a pod add killed half-way is undone by the next pod add: its namespace gone, its lease freed', async () => {
    const { victim, ipamDir } = await killPodAddMidway();
    const next = spawnSync(podnet, ['lab', 'pod', 'add', 'web-1', '--node', 'node1', '--lab-id', p.labId!, '--json'], {
      encoding: 'utf8',
    });
    expect(next.stderr).toBe('');
    expect(next.status).toBe(0);
    expect(existsSync(`/run/netns/${victim}`)).toBe(false);
    const inv = readInventory(p)!;
    expect(inv.pending ?? []).toEqual([]);
    expect(inv.pods.map((x) => x.name)).toEqual(['web-1']);
    // The killed ADD may have got its lease once the lock was free: the undo's DEL freed it.
    expect(readdirSync(ipamDir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))).toEqual([inv.pods[0]!.ip]);
    await labDown(p);
  });

  it('lab down without an inventory removes the names its plan makes, and nothing else of podnet-ID-…', () => {
    mkdirSync(p.stateDir, { recursive: true }); // the lab ran (its state directory is there), its lab.json is lost
    const planned = ['lan', 'node2', 'pod-default_web-3'].map((s) => p.prefix + s);
    const notPlanned = [`${p.prefix}extra`, `${p.prefix}x-lan`]; // a hand-made one; lab "…-x"'s LAN
    for (const n of [...planned, ...notPlanned]) expect(spawnSync('ip', ['netns', 'add', n]).status).toBe(0);
    try {
      expect(existsSync(labFiles(p).inventory)).toBe(false);
      const down = spawnSync(podnet, ['lab', 'down', '--lab-id', p.labId!, '--json'], { encoding: 'utf8' });
      expect(down.status).toBe(0);
      expect(JSON.parse(down.stdout).removed.sort()).toEqual([...planned].sort());
      expect(labNamespaces(p.prefix).sort()).toEqual([...notPlanned].sort());
    } finally {
      for (const n of [...planned, ...notPlanned]) spawnSync('ip', ['netns', 'del', n]);
      rmSync(p.stateDir, { recursive: true, force: true });
    }
  });
});

describe('lab ids that collide with the main lab', () => {
  it.each(['bin', 'pod', 'node1'])('--lab-id %s is refused with exit 2, and nothing is made', (id) => {
    const before = netnsList().filter((n) => n.startsWith(`podnet-${id}-`));
    const r = spawnSync(podnet, ['lab', 'up', '--nodes', '1', '--pods-per-node', '0', '--lab-id', id], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`lab id "${id}" is refused`);
    expect(netnsList().filter((n) => n.startsWith(`podnet-${id}-`))).toEqual(before);
  });

  it('PODNET_LAB=nodes is refused the same way', () => {
    const r = spawnSync(podnet, ['lab', 'status'], { encoding: 'utf8', env: { ...process.env, PODNET_LAB: 'nodes' } });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/run/podnet/nodes belongs to the main lab');
  });
});
