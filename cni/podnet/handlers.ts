// The podnet plugin's verbs, one function each: the executable (main.ts) and the node
// agent's CNI socket (agent/cni-socket/) dispatch on this same table.
import { PODNET_PLUGIN } from '../../lib/model/cni.js';
import type { Handlers } from '../run.js';
import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { cmdDel } from './del.js';
import { cmdGc } from './gc.js';
import { cmdStatus } from './status.js';

export { PODNET_PLUGIN };
export const PODNET_HANDLERS: Handlers = { ADD: cmdAdd, DEL: cmdDel, CHECK: cmdCheck, GC: cmdGc, STATUS: cmdStatus };
