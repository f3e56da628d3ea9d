// The podnet CNI plugin: a dispatch table on CNI_COMMAND, one function per verb.
import { runPlugin } from '../run.js';
import { PODNET_HANDLERS, PODNET_PLUGIN } from './handlers.js';

runPlugin(PODNET_PLUGIN, PODNET_HANDLERS);
