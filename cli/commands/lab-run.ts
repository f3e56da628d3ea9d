// The runs of podnet lab up | down | pod … | node … | exec (their table entries are in
// ./lab.ts; lab status is ./lab-status.ts, which loads none of this).
import { spawnSync } from 'node:child_process';
import { str, type Parsed } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { describeFlags, labDown, labUp, requireLab } from '../../lab/lab.js';
import { nodeAdd, nodeDel } from '../../lab/nodes.js';
import { findPod, podAdd, podDel } from '../../lab/pods.js';
import { podRef, type LabControlPlane, type Routing } from '../../lib/model/lab.js';
import { serveApi } from '../../lab/kube-lab.js';
import { labCall, pathsOf } from './lab-call.js';
import { printLab, statusOf } from './lab-status.js';

function int(args: Parsed, name: string): number {
  const v = str(args, name)!;
  if (!/^\d+$/.test(v)) throw new CommandError(`--${name} must be a whole number, got "${v}"`, 2);
  return Number(v);
}

export const runLabUp: Run = async (args, io) => {
  const p = pathsOf(args);
  const flags = {
    nodes: int(args, 'nodes'),
    podsPerNode: int(args, 'pods-per-node'),
    routing: str(args, 'routing') as Routing,
    ...(str(args, 'control-plane') === 'lab' ? {} : { controlPlane: str(args, 'control-plane') as LabControlPlane }),
  };
  const started = Date.now();
  const r = await labCall(() => labUp(p, flags, (m) => io.err(`lab up: ${m}`)));
  if (io.json) return io.out(JSON.stringify({ changed: r.changed, rebuilt: r.rebuilt, ...statusOf(r.inventory) }));
  if (!r.changed) io.out(`the lab is already up with ${describeFlags(r.inventory.flags)}: nothing changed`);
  else io.out(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  printLab(io, statusOf(r.inventory));
};

export const runApiServer: Run = async (args, io) => {
  await labCall(() => serveApi(pathsOf(args), (line) => io.err(line)));
};

export const runLabDown: Run = async (args, io) => {
  const r = await labCall(() => labDown(pathsOf(args)));
  if (io.json) return io.out(JSON.stringify(r));
  io.out(r.wasUp ? `lab down: removed ${r.removed.length} namespaces` : 'no lab was up');
};

export const runPodAdd: Run = async (args, io) => {
  const ref = args.positionals[0];
  const node = str(args, 'node');
  if (!ref || !node) throw new CommandError('usage: podnet lab pod add POD --node NODE', 2);
  const pod = await labCall(() => podAdd(pathsOf(args), ref, node));
  if (io.json) return io.out(JSON.stringify(pod));
  io.out(`${podRef(pod)} is up on ${pod.node}: ${pod.ip} (namespace ${pod.netns})`);
};

export const runPodDel: Run = async (args, io) => {
  const ref = args.positionals[0];
  if (!ref) throw new CommandError('usage: podnet lab pod del POD', 2);
  const pod = await labCall(() => podDel(pathsOf(args), ref));
  if (io.json) return io.out(JSON.stringify(pod));
  io.out(`removed ${podRef(pod)} from ${pod.node}`);
};

export const runNodeAdd: Run = async (args, io) => {
  const node = await labCall(() => nodeAdd(pathsOf(args), args.positionals[0]));
  if (io.json) return io.out(JSON.stringify(node));
  io.out(`added ${node.name}: ${node.ip}, pods ${node.podCIDR} (namespace ${node.netns})`);
};

export const runNodeDel: Run = async (args, io) => {
  const name = args.positionals[0];
  if (!name) throw new CommandError('usage: podnet lab node del NAME', 2);
  const r = await labCall(() => nodeDel(pathsOf(args), name));
  if (io.json) return io.out(JSON.stringify(r));
  io.out(`removed ${r.node.name} (${r.node.podCIDR})${r.pods.length ? ` and its pods ${r.pods.join(', ')}` : ''}`);
};

export const runExec: Run = (args, io) => {
  const target = args.positionals[0];
  if (!target || args.rest.length === 0) throw new CommandError('usage: podnet lab exec POD -- CMD [ARG…]', 2);
  const inv = (() => {
    try {
      return requireLab(pathsOf(args));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
  })();
  const hosts: Record<string, string | undefined> = {
    router: inv.router?.netns,
    outside: inv.outside.netns,
    lan: inv.lan.netns,
  };
  const netns =
    inv.nodes.find((n) => n.name === target)?.netns ??
    hosts[target] ??
    (() => {
      try {
        return findPod(inv, target).netns;
      } catch (e) {
        throw new CommandError(`${(e as Error).message}; nodes: ${inv.nodes.map((n) => n.name).join(', ')}`);
      }
    })();
  const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, '--', ...args.rest], { stdio: 'inherit' });
  if (r.error) io.err(`podnet lab exec: ${r.error.message}`);
  return r.status ?? 1;
};
