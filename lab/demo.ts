// What `podnet up` brings up until the lab exists: one node namespace with podnet's
// plugins installed and its conflist, and one pod attached through them exactly as a
// runtime would, so a user sees a pod's network being made. Everything lives under the
// state directory and in namespaces named podnet-[ID-]…; teardown removes all of it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conflist, install } from '../cni/install.js';
import { processStartTime } from '../lib/ipam/lock.js';
import type { CniResult } from '../lib/model/cni.js';
import { addNetwork, delNetwork, type Attach, type Conflist } from './cni-runtime.js';

export interface DemoPaths {
  labId: string | null;
  stateDir: string;
  prefix: string;
}

export function demoPaths(labId: string | null): DemoPaths {
  if (labId !== null && !/^[a-z0-9][a-z0-9-]{0,11}$/.test(labId)) {
    throw new Error(`lab id "${labId}" must be 1-12 of a-z, 0-9 and "-" (it becomes part of namespace names)`);
  }
  return { labId, stateDir: labId ? `/run/podnet/${labId}` : '/run/podnet', prefix: labId ? `podnet-${labId}-` : 'podnet-' };
}

export interface DemoReport {
  labId: string | null;
  stateDir: string;
  node: { name: string; netns: string; bridge: string; podCIDR: string };
  pod: { name: string; namespace: string; netns: string; ip: string; hostVeth: string; result: CniResult };
  kernel: { podAddresses: string; podRoutes: string; nodeLinks: string; pingGateway: string };
}

const SUBNET = '10.244.1.0/24';
const netnsNames = (p: DemoPaths) => ({ node: `${p.prefix}node1`, pod: `${p.prefix}node1-web-1` });

function sh(cmd: string[], netns?: string): string {
  const argv = netns ? ['nsenter', `--net=/run/netns/${netns}`, '--', ...cmd] : cmd;
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return (r.stdout + r.stderr).trim();
}

/** The PID recorded by a running `podnet up`, if that process is still the one. */
export function runningUp(p: DemoPaths): number | null {
  try {
    const [pid, start] = readFileSync(join(p.stateDir, 'up.pid'), 'utf8').trim().split(' ');
    return processStartTime(Number(pid)) === start ? Number(pid) : null;
  } catch {
    return null;
  }
}

export async function demoUp(p: DemoPaths, progress: (msg: string) => void): Promise<DemoReport> {
  if (runningUp(p)) throw new Error(`podnet is already up (state in ${p.stateDir}): run "podnet down" first`);
  demoDown(p); // a previous run that died leaves its namespaces: start clean
  mkdirSync(p.stateDir, { recursive: true, mode: 0o755 });
  writeFileSync(join(p.stateDir, 'up.pid'), `${process.pid} ${processStartTime(process.pid)}\n`);

  progress('installing the podnet CNI plugins');
  const binDir = join(p.stateDir, 'bin');
  await install(binDir, null);
  const list = conflist({ name: 'podnet', subnet: SUBNET, clusterNetwork: '10.244.0.0/16', bridge: 'v-net-0', stateDir: join(p.stateDir, 'node1'), dataDir: join(p.stateDir, 'node1', 'ipam') }) as unknown as Conflist;
  const confDir = join(p.stateDir, 'node1', 'net.d');
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, '10-podnet.conflist'), JSON.stringify(list, null, 2) + '\n');

  const ns = netnsNames(p);
  progress(`creating node namespace ${ns.node} and pod namespace ${ns.pod}`);
  for (const name of [ns.node, ns.pod]) {
    execFileSync('ip', ['netns', 'add', name]);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }
  progress('ADD: attaching default/web-1 through the conflist, as a container runtime does');
  const result = addNetwork(list, attachOf(p, binDir));
  const ip = result.ips?.[0]?.address ?? '';
  const hostVeth = result.interfaces?.find((i) => i.name.startsWith('veth'))?.name ?? '';
  return {
    labId: p.labId,
    stateDir: p.stateDir,
    node: { name: 'node1', netns: ns.node, bridge: 'v-net-0', podCIDR: SUBNET },
    pod: { name: 'web-1', namespace: 'default', netns: ns.pod, ip, hostVeth, result },
    kernel: {
      podAddresses: sh(['ip', '-br', 'addr', 'show', 'eth0'], ns.pod),
      podRoutes: sh(['ip', 'route'], ns.pod),
      nodeLinks: sh(['ip', '-br', 'link'], ns.node),
      pingGateway: sh(['ping', '-c1', '-W2', '10.244.1.1'], ns.pod).split('\n').slice(-2).join('\n'),
    },
  };
}

function attachOf(p: DemoPaths, binDir: string): Attach {
  const ns = netnsNames(p);
  return { containerID: 'podnet-demo-web-1', netns: `/run/netns/${ns.pod}`, ifname: 'eth0', podNamespace: 'default', podName: 'web-1', cniPath: [binDir], nodeNetns: `/run/netns/${ns.node}` };
}

/** Removes everything demoUp made; safe to run twice, and on a run that died half-way. */
export function demoDown(p: DemoPaths): string[] {
  const done: string[] = [];
  const ns = netnsNames(p);
  const confFile = join(p.stateDir, 'node1', 'net.d', '10-podnet.conflist');
  if (existsSync(confFile) && existsSync(`/run/netns/${ns.node}`)) {
    try {
      delNetwork(JSON.parse(readFileSync(confFile, 'utf8')) as Conflist, attachOf(p, join(p.stateDir, 'bin')));
      done.push('DEL default/web-1');
    } catch {
      /* the namespaces go next, and with them whatever DEL could not remove */
    }
  }
  for (const name of [ns.pod, ns.node]) {
    if (existsSync(`/run/netns/${name}`)) {
      spawnSync('ip', ['netns', 'del', name]);
      done.push(`deleted namespace ${name}`);
    }
  }
  // Only what demoUp wrote: /run/podnet also holds the state of labs with other ids.
  for (const entry of ['bin', 'node1', 'up.pid']) {
    const path = join(p.stateDir, entry);
    if (existsSync(path)) {
      rmSync(path, { recursive: true, force: true });
      done.push(`removed ${path}`);
    }
  }
  try {
    rmdirSync(p.stateDir);
  } catch {
    /* not empty (other labs) or already gone */
  }
  return done;
}
