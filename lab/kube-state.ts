// The Kubernetes-shaped lab's part of the inventory and its files: what `lab status` reads
// (without loading lab/kube-lab.ts, which starts and drives those processes).
import { join } from 'node:path';
import type { LabNode } from '../lib/model/lab.js';
import { stillRunning, type ProcessRecord } from '../lib/proc/identity.js';
import type { LabPaths } from './paths.js';

/** The Kubernetes part of a lab's inventory (absent in a lab without one). */
export interface LabKube {
  /** the API endpoint's process (podnet lab api-server) */
  api: ProcessRecord | null;
  /** its address on the root namespace's loopback: the dashboard's and the CLI's */
  url: string | null;
  /** each node's bridge to the endpoint, by node name */
  bridges: Record<string, ProcessRecord>;
}

export const kubeFiles = (p: LabPaths) => ({
  socket: join(p.stateDir, 'api.sock'),
  token: join(p.stateDir, 'api.token'),
  /** written by the endpoint once it listens: its loopback URL */
  url: join(p.stateDir, 'api.url'),
  log: join(p.stateDir, 'api.log'),
  /** for the dashboard and kubectl on this machine: the loopback URL */
  kubeconfig: join(p.stateDir, 'kubeconfig'),
});

/** What of the control plane is not running: "api", or "bridge of NODE". */
export function deadKube(kube: LabKube | undefined, nodes: LabNode[]): string[] {
  if (!kube) return [];
  return [
    ...(stillRunning(kube.api) ? [] : ['api']),
    ...nodes.filter((n) => !stillRunning(kube.bridges[n.name])).map((n) => `bridge of ${n.name}`),
  ];
}
