// The podnet CNI plugin: a dispatch table on CNI_COMMAND, one function per verb.
import { runPlugin } from '../run.js';
import { cmdAdd } from './add.js';
import { cmdCheck } from './check.js';
import { cmdDel } from './del.js';
import { cmdGc } from './gc.js';
import { cmdStatus } from './status.js';

runPlugin('podnet', { ADD: cmdAdd, DEL: cmdDel, CHECK: cmdCheck, GC: cmdGc, STATUS: cmdStatus });
