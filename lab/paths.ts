// Where a lab lives: namespaces named podnet-[ID-]…, files under /run/podnet[/ID]. A lab
// id keeps a test's lab (or a second lab) apart from the user's.
import { join } from 'node:path';

export interface LabPaths {
  labId: string | null;
  stateDir: string;
  prefix: string;
}

export const LAB_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,11}$/;

export class LabIdError extends Error {}

export function labPaths(labId: string | null): LabPaths {
  if (labId !== null && !LAB_ID_PATTERN.test(labId)) {
    throw new LabIdError(`lab id "${labId}" must be 1-12 of a-z, 0-9 and "-" (it becomes part of namespace names)`);
  }
  return { labId, stateDir: labId ? `/run/podnet/${labId}` : '/run/podnet', prefix: labId ? `podnet-${labId}-` : 'podnet-' };
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
