// Where the key of a dashboard showing this lab lives: in the lab's state directory, so
// `lab down` removes it with the rest, and `lab status --json` names it (dashboardTokenFile).
import { join } from 'node:path';
import type { LabPaths } from './paths.js';

export const dashboardKeyFile = (p: LabPaths) => join(p.stateDir, 'dashboard.key');
