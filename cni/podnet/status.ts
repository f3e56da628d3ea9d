// STATUS (spec 1.1): can this plugin serve an ADD right now?
import { CniError, ErrorCode } from '../errors.js';
import { logTo } from '../log.js';
import { parseJson, parsePodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { ipamClient } from './ipam-client.js';
import { readBridge } from './kernel.js';

export function cmdStatus({ env, stdin }: VerbContext): void {
  const conf = parsePodnetConf(parseJson(stdin), 'STATUS');
  logTo(conf.stateDir);
  try {
    readBridge(conf.bridge); // throws when the name is taken by something that is not a bridge
  } catch (e) {
    if (e instanceof CniError) throw new CniError(ErrorCode.PluginNotAvailable, e.message, e.details);
    throw e;
  }
  ipamClient(conf, env, stdin).status();
}
