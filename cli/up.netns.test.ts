// The README's first command: `podnet up` brings the lab, its agents and the dashboard
// up and stays in the foreground; `podnet down` from another shell takes everything down
// and leaves nothing.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../test/tcp.js';

const labId = `t${randomBytes(3).toString('hex')}`;
const names = [`podnet-${labId}-node1`, `podnet-${labId}-pod-default_web-1`, `podnet-${labId}-lan`];
const podnet = (args: string[]) => spawnSync('bin/podnet', args, { encoding: 'utf8' });
const namespaces = () => spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;

describe('podnet up / down', () => {
  afterEach(() => {
    podnet(['down', '--lab-id', labId]); // also when an assertion failed half-way
  });

  it('up brings the lab up, reports it and the check as JSON, and down removes all of it', async () => {
    const port = await freePort();
    const child = spawn('bin/podnet', ['up', '--lab-id', labId, '--json', '--port', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (stderr.includes('podnet is up')) resolve();
        if (child.exitCode !== null) reject(new Error(`podnet up exited early: ${stderr}`));
      }, 100);
      exited.finally(() => clearInterval(timer));
      setTimeout(() => clearInterval(timer), 150_000);
    });
    const report = JSON.parse(stdout.trim().split('\n')[0]!);
    expect(report.lab.nodes).toHaveLength(3);
    expect(report.lab.pods[0]).toMatchObject({
      name: 'web-1',
      namespace: 'default',
      ip: '10.244.1.2',
      netns: names[1],
    });
    expect(report.check.failures).toEqual([]);
    expect(report.check.ok).toBe(true);
    // The dashboard answers on loopback, with a key made for it: the URL printed once
    // carries it; the lab names the file (0600), not the key.
    const url = `http://127.0.0.1:${port}/`;
    const printed = new URL(report.dashboard);
    const key = printed.searchParams.get('token')!;
    expect(`${printed.origin}${printed.pathname}`).toBe(url);
    const status = JSON.parse(podnet(['lab', 'status', '--lab-id', labId, '--json']).stdout);
    expect(status.dashboard).toBe(url);
    expect(status.dashboardTokenFile).toBe(`/run/podnet/${labId}/dashboard.key`);
    expect(readFileSync(status.dashboardTokenFile, 'utf8').trim()).toBe(key);
    expect(statSync(status.dashboardTokenFile).mode & 0o777).toBe(0o600);
    expect(key.length).toBeGreaterThanOrEqual(32);
    const signIn = await fetch(url, { headers: { accept: 'text/html' } });
    expect(signIn.status).toBe(401); // no key: the sign-in form, not the page
    expect(await signIn.text()).toContain('data-testid="signin"');
    const bearer = { authorization: `Bearer ${key}` };
    const page = await fetch(url, { headers: bearer });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>podnet</title>');
    const info = (await (await fetch(`${url}api/trpc/cluster.info`, { headers: bearer })).json()) as {
      result: { data: unknown };
    };
    expect(info.result.data).toMatchObject({ cluster: { source: 'lab', name: labId }, nodes: 3, pods: 6 });
    for (const n of names) expect(namespaces()).toContain(n);
    // The pod's address as the kernel has it, read from the pod's side.
    const addr = spawnSync('ip', ['-n', names[1]!, '-br', 'addr', 'show', 'eth0'], { encoding: 'utf8' }).stdout;
    expect(addr).toContain('10.244.1.2/24');

    // A second `up` of the same lab is refused while the first runs.
    const again = podnet(['up', '--lab-id', labId]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/podnet is already up \(pid \d+/);

    const down = podnet(['down', '--lab-id', labId, '--json']);
    expect(down.status, down.stderr).toBe(0);
    expect(JSON.parse(down.stdout).stopped).toBe(child.pid);
    expect(await exited).toBe(0);
    for (const n of names) expect(namespaces()).not.toContain(n);
    expect(existsSync(`/run/podnet/${labId}`)).toBe(false);
    await expect(fetch(url)).rejects.toThrow(); // the dashboard went with it
    expect(JSON.parse(podnet(['down', '--lab-id', labId, '--json']).stdout)).toEqual({
      stopped: null,
      dashboard: null,
      removed: [],
    });
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`podnet-${labId}-`);
  }, 240_000);

  it('refuses an empty option value instead of taking it as "none" (--token-file "")', () => {
    const r = podnet(['up', '--lab-id', labId, '--token-file', '']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--token-file needs a value (FILE), got an empty one');
    expect(existsSync(`/run/podnet/${labId}`)).toBe(false); // refused before anything was made
  });

  it('refuses a lab id that cannot be part of a namespace name', () => {
    const r = podnet(['up', '--lab-id', 'Bad/Id']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/lab id "Bad\/Id" must be 1-12 of a-z, 0-9 and "-"/);
  });
});
