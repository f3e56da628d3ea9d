// Where a lab lives: namespaces named podnet-[ID-]…, files under /run/podnet[/ID]. A lab
// id keeps a test's lab (or a second lab) apart from the user's.
import { basename, join } from 'node:path';
import { DEFAULT_STATE_DIR } from '../lib/model/cni';

export interface LabPaths {
  labId: string | null;
  stateDir: string;
  prefix: string;
}

export const LAB_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,11}$/;

export class LabIdError extends Error {}

/** the main lab keeps its files where the plugin keeps its state by default */
const MAIN_STATE_DIR = DEFAULT_STATE_DIR;

export function labPaths(labId: string | null): LabPaths {
  if (labId !== null && !LAB_ID_PATTERN.test(labId)) {
    throw new LabIdError(`lab id "${labId}" must be 1-12 of a-z, 0-9 and "-" (it becomes part of namespace names)`);
  }
  const clash = labId === null ? null : clashWithMainLab(labId);
  if (clash) throw new LabIdError(`lab id "${labId}" is refused: ${clash}; choose another id`);
  return {
    labId,
    stateDir: labId ? join(MAIN_STATE_DIR, labId) : MAIN_STATE_DIR,
    prefix: labId ? `podnet-${labId}-` : 'podnet-',
  };
}

/** The main lab's namespaces are podnet-NAME (NAME: lan, router, outside, a node's name —
 *  node1, node2… unless named — or pod-NAMESPACE_NAME), and its files sit in the directory
 *  that holds every other lab's. A lab id is refused when its namespaces podnet-ID-… could
 *  be the main lab's, or its directory one of the main lab's entries. */
function clashWithMainLab(labId: string): string | null {
  const mainFiles = Object.values(labFiles({ labId: null, stateDir: MAIN_STATE_DIR, prefix: 'podnet-' }));
  // The plugins' own records when their stateDir is the default one (cni install).
  const entries = [...mainFiles, join(MAIN_STATE_DIR, 'attachments')];
  const entry = entries.find((f) => basename(f) === labId);
  if (entry) return `${entry} belongs to the main lab`;
  if (['lan', 'router', 'outside'].includes(labId))
    return `podnet-${labId} is the main lab's ${labId} namespace, and "podnet lab down" of the main lab and of lab ${labId} must never be mistaken for each other`;
  if (/^node\d+$/.test(labId)) return `podnet-${labId} is the main lab's node ${labId}`;
  if (labId === 'pod' || labId.startsWith('pod-'))
    return `the main lab's pods are namespaces podnet-pod-NAMESPACE_NAME, which lab ${labId}'s names (podnet-${labId}-…) can equal`;
  return null;
}

/** Files of one lab; the default lab's directory also holds other labs' directories. */
export const labFiles = (p: LabPaths) => ({
  inventory: join(p.stateDir, 'lab.json'),
  lock: join(p.stateDir, 'lab.lock'),
  bin: join(p.stateDir, 'bin'),
  nodes: join(p.stateDir, 'nodes'),
  upPid: join(p.stateDir, 'up.pid'),
  /** the dashboard `podnet up` runs on this lab: its PID (+ start time) and its log */
  dashboardPid: join(p.stateDir, 'dashboard.pid'),
  dashboardLog: join(p.stateDir, 'dashboard.log'),
});

export function nodeDir(p: LabPaths, node: string): string {
  return join(p.stateDir, 'nodes', node);
}
