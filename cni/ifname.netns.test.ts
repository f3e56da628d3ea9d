// Every interface name the kernel accepts works end to end — "#", quotes, "\", bytes
// outside ASCII, 15 bytes — and so does a namespace path with spaces, "#" and quotes,
// reached through /run/netns (ip -n) or elsewhere (nsenter): such words reach `ip` only as
// argv, never as batch text. Checked from the kernel's side: the pod's interface has
// exactly that name and the address, its peer is on the bridge, DEL removes everything.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachmentFiles, leases, nodeFixture, podnetConf, runPlugin } from '../test/cni.js';
import { execIn, ipIn, linkNames, nsPath } from '../test/netns.js';
import { hostVethName } from './podnet/names.js';

interface Link {
  ifname: string;
  flags: string[];
  master?: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

describe('interface names and namespace paths outside ip -batch text', () => {
  const f = nodeFixture();
  let links: string; // a temp dir for symlinked namespace paths, removed afterwards
  beforeEach(() => {
    links = mkdtempSync(join(tmpdir(), 'podnet-test-netns-'));
  });
  afterEach(() => rmSync(links, { recursive: true, force: true }));

  const conf = () => podnetConf({ cniVersion: '1.1.0', state: f.dirs.state, dataDir: f.dirs.ipam });
  const run = (
    command: 'ADD' | 'DEL' | 'CHECK',
    id: string,
    netns: string,
    ifname: string,
    extra: Record<string, unknown> = {},
  ) => runPlugin('podnet', { ...conf(), ...extra }, { command, containerID: id, netns, ifname, nodeNs: f.node });

  function expectAttached(pod: string, id: string, ifname: string, address: string) {
    const inPod = ipIn<Link>(pod, ['addr', 'show']).filter((l) => l.ifname !== 'lo');
    expect(inPod.map((l) => l.ifname)).toEqual([ifname]);
    expect(inPod[0]!.flags).toContain('UP');
    expect(inPod[0]!.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`)).toEqual([
      address,
    ]);
    expect(ipIn<{ dst: string; gateway?: string; dev: string }>(pod, ['route', 'show', 'default'])).toEqual([
      expect.objectContaining({ dst: 'default', gateway: '10.244.1.1', dev: ifname }),
    ]);
    const host = ipIn<Link>(f.node, ['link', 'show', 'dev', hostVethName(id, ifname)])[0]!;
    expect(host.master).toBe('v-net-0');
    expect(host.flags).toContain('UP');
    // Traffic crosses the veth and the bridge (inside the lab's namespaces only).
    expect(execIn(pod, ['ping', '-c1', '-W2', '10.244.1.1']).status).toBe(0);
  }

  function expectNothingLeft(pods: string[]) {
    expect(linkNames(f.node).sort()).toEqual(['lo', 'v-net-0']);
    for (const pod of pods) expect(linkNames(pod)).toEqual(['lo']);
    expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual([]);
  }

  it.each([
    ['eth0#', 'a "#" (a comment in batch text)'],
    ['a"b', 'a double quote'],
    ["it's", 'a single quote'],
    ['x\\y', 'a backslash'],
    ['"eth0', 'a leading quote'],
    ['ä-ö', 'bytes outside ASCII'],
    ['#123456789abcde', '15 bytes, the most the kernel takes'],
  ])('ifname %j (%s): ADD, CHECK and DEL work, the pod has exactly that name', (ifname) => {
    const pod = f.ns.add('pod');
    const id = 'odd-name';
    const r = run('ADD', id, nsPath(pod), ifname);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.interfaces[2]).toMatchObject({ name: ifname, sandbox: nsPath(pod) });
    expectAttached(pod, id, ifname, '10.244.1.2/24');
    const check = run('CHECK', id, nsPath(pod), ifname, { prevResult: r.json });
    expect(check.status, check.stdout).toBe(0);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toEqual([`${id}@${ifname}.json`]);

    const del = run('DEL', id, nsPath(pod), ifname);
    expect(del.status, del.stdout).toBe(0);
    expectNothingLeft([pod]);
  });

  it('a plain ifname and an odd one side by side on one bridge: both reach each other', () => {
    const a = f.ns.add('a');
    const b = f.ns.add('b');
    expect(run('ADD', 'plain', nsPath(a), 'eth0').status).toBe(0);
    const rb = run('ADD', 'odd', nsPath(b), 'eth0#1');
    expect(rb.status, rb.stdout).toBe(0);
    expect(execIn(a, ['ping', '-c1', '-W2', '10.244.1.3']).status).toBe(0);
    expect(run('DEL', 'odd', nsPath(b), 'eth0#1').status).toBe(0);
    expect(run('DEL', 'plain', nsPath(a), 'eth0').status).toBe(0);
    expectNothingLeft([a, b]);
  });

  it.each([
    ['p #1 \'x"', 'in /run/netns (entered with ip -n)'],
    ['p\\y z#', 'behind a symlink elsewhere (entered with nsenter)'],
  ])('a namespace named %j %s: ADD and DEL work', (suffix, how) => {
    const pod = f.ns.add(suffix);
    let netns = nsPath(pod);
    if (how.includes('symlink')) {
      netns = join(links, `ns #'"\\ ${suffix}`);
      symlinkSync(nsPath(pod), netns);
    }
    const r = run('ADD', 'odd-ns', netns, 'eth0');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.json.interfaces[2].sandbox).toBe(netns);
    expectAttached(pod, 'odd-ns', 'eth0', '10.244.1.2/24');
    expect(run('CHECK', 'odd-ns', netns, 'eth0', { prevResult: r.json }).status).toBe(0);
    expect(run('DEL', 'odd-ns', netns, 'eth0').status).toBe(0);
    expectNothingLeft([pod]);
  });
});
