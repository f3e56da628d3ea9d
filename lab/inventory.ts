// The lab's inventory on disk (<stateDir>/lab.json): what the lab is meant to be, written
// before anything is built (phase "building", every namespace it will make), so that a
// lab whose builder died half-way can still be taken down completely. Pod and node adds
// do the same with `pending`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { FileLock, LockTimeout } from '../lib/proc/lock.js';
import { stillRunning, type ProcessRecord } from '../lib/proc/identity.js';
import type { LabFlags, LabPod, LabStatus } from '../lib/model/lab.js';
import { deadKube, type LabKube } from './kube-state.js';
import { labFiles, type LabPaths } from './paths.js';

export interface LabInventory extends LabStatus {
  flags: LabFlags;
  phase: 'building' | 'ready';
  /** who is building (phase "building"): a dead builder means a broken lab */
  builder: ProcessRecord | null;
  /** each node's agent process, by node name */
  agents: Record<string, ProcessRecord>;
  createdAt: string;
  /** the control plane's processes when the lab has the Kubernetes one */
  kube?: LabKube;
  /** namespaces a `lab pod add` or `lab node add` is making: recorded before they exist,
   *  so a command killed half-way leaves nothing `lab down` does not know of */
  pending?: PendingAdd[];
}

export interface PendingAdd {
  netns: string;
  /** the pod being added (its CNI attachment may exist) … */
  pod?: LabPod;
  /** … or the node (already in `nodes`, so its peers and agents see it while it is built) */
  node?: string;
}

export function readInventory(p: LabPaths): LabInventory | null {
  try {
    return JSON.parse(readFileSync(labFiles(p).inventory, 'utf8')) as LabInventory;
  } catch {
    return null;
  }
}

export function writeInventory(p: LabPaths, inv: LabInventory): void {
  const file = labFiles(p).inventory;
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  writeFileSync(`${file}.tmp`, JSON.stringify(inv, null, 2) + '\n');
  renameSync(`${file}.tmp`, file);
}

/** Serialises the commands that change a lab (up, down, pod/node add/del). */
export async function withLabLock<T>(p: LabPaths, fn: () => Promise<T>): Promise<T> {
  mkdirSync(p.stateDir, { recursive: true, mode: 0o755 });
  const lock = new FileLock(labFiles(p).lock);
  try {
    lock.acquire(1_000);
  } catch (e) {
    if (e instanceof LockTimeout)
      throw new Error(
        `another podnet command is changing this lab (${e.message}); wait for it, or run "podnet lab down"`,
      );
    throw e;
  }
  try {
    return await fn();
  } finally {
    lock.release();
  }
}

export function allNamespaces(inv: LabStatus & { pending?: PendingAdd[] }): string[] {
  return [
    ...(inv.pending ?? []).map((x) => x.netns),
    inv.lan.netns,
    ...(inv.router ? [inv.router.netns] : []),
    inv.outside.netns,
    ...inv.nodes.map((n) => n.netns),
    ...inv.pods.map((p) => p.netns),
  ];
}

export const netnsExists = (name: string) => existsSync(`/run/netns/${name}`);

export interface LabHealth {
  healthy: boolean;
  missing: string[];
  deadBuilder: boolean;
  /** nodes whose agent process is gone */
  deadAgents: string[];
  /** the Kubernetes control plane's processes that are gone: "api", "bridge of NODE" */
  deadKube: string[];
}

export function labHealth(inv: LabInventory): LabHealth {
  const missing = allNamespaces(inv).filter((n) => !netnsExists(n));
  const deadBuilder = inv.phase === 'building' && !stillRunning(inv.builder);
  const deadAgents = inv.nodes
    .map((n) => n.name)
    .filter((name) => {
      return !stillRunning(inv.agents?.[name]);
    });
  const kube = deadKube(inv.kube, inv.nodes);
  return {
    healthy: missing.length === 0 && inv.phase === 'ready' && deadAgents.length === 0 && kube.length === 0,
    missing,
    deadBuilder,
    deadAgents,
    deadKube: kube,
  };
}
