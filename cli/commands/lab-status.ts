// podnet lab status, and the lab as the commands that change it print it (lab up, up).
// Reads the inventory only: nothing here may import lab/lab.ts, which brings the agents'
// start-up and the plugins' install (`lab status` loads neither; cli/bundle.test.ts).
import { existsSync } from 'node:fs';
import { CommandError, type CommandIo, type Run } from '../command.js';
import { dashboardKeyFile } from '../../lab/dashboard-key-file.js';
import { labHealth, readInventory, type LabInventory } from '../../lab/inventory.js';
import { kubeFiles } from '../../lab/kube-state.js';
import { labPaths } from '../../lab/paths.js';
import { podRef, type LabStatus } from '../../lib/model/lab.js';
import { pathsOf } from './lab-call.js';

export function statusOf(inv: LabStatus & Pick<LabInventory, 'kube'>): LabStatus {
  const { labId, routing, tokenFile, dashboard, router, outside, lan, clusterNetwork, nodes, pods, faults } = inv;
  // The key of a dashboard on this lab, once one made it (podnet up, podnet dashboard).
  const keyFile = dashboardKeyFile(labPaths(labId));
  const dashboardTokenFile = existsSync(keyFile) ? keyFile : null;
  return {
    labId,
    routing,
    tokenFile,
    dashboard,
    dashboardTokenFile,
    router,
    outside,
    lan,
    clusterNetwork,
    nodes,
    pods,
    faults: faults ?? [],
    kubernetes: inv.kube?.url ? { url: inv.kube.url, kubeconfig: kubeFiles(labPaths(labId)).kubeconfig } : null,
  };
}

export function printLab(io: CommandIo, s: LabStatus): void {
  io.out(
    `lab ${s.labId ?? '(main)'}: ${s.nodes.length} nodes, ${s.pods.length} pods, routing ${s.routing}, LAN ${s.lan.cidr}`,
  );
  if (s.router) io.out(`router   ${s.router.ip.padEnd(15)} namespace ${s.router.netns}`);
  io.out(`outside  ${s.outside.ip.padEnd(15)} namespace ${s.outside.netns}`);
  if (s.tokenFile) io.out(`agents   one per node, bearer token in ${s.tokenFile}`);
  if (s.kubernetes)
    io.out(
      `api      ${s.kubernetes.url} (the lab's Kubernetes API test double), kubeconfig ${s.kubernetes.kubeconfig}`,
    );
  for (const n of s.nodes) {
    io.out(
      `${n.name.padEnd(8)} ${n.ip.padEnd(15)} pods ${n.podCIDR.padEnd(16)} namespace ${n.netns}${n.agent ? `  agent ${n.agent}` : ''}`,
    );
    for (const p of s.pods.filter((x) => x.node === n.name))
      io.out(`  ${podRef(p).padEnd(24)} ${(p.ip ?? 'no address').padEnd(13)} namespace ${p.netns}`);
  }
}

export const runLabStatus: Run = (args, io) => {
  const p = pathsOf(args);
  const inv = readInventory(p);
  if (!inv) {
    if (io.json) io.out('null');
    throw new CommandError(`no lab is up${p.labId ? ` with id ${p.labId}` : ''}: run "podnet lab up"`);
  }
  const health = labHealth(inv);
  if (io.json) {
    const { healthy, missing, deadAgents, deadKube } = health;
    return io.out(JSON.stringify({ ...statusOf(inv), healthy, missing, deadAgents, deadKube }));
  }
  printLab(io, statusOf(inv));
  if (!health.healthy) {
    const why =
      inv.phase === 'building'
        ? 'its build did not finish'
        : health.missing.length
          ? `missing namespaces ${health.missing.join(', ')}`
          : `not running: ${[...health.deadAgents.map((n) => `the agent of ${n}`), ...health.deadKube].join(', ')}`;
    io.out(`\nbroken: ${why}; "podnet lab up" repairs it`);
  }
};
