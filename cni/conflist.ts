// A conflist read the way a runtime reads it: the list's cniVersion and name go into each
// plugin's config, and podnet's entry is parsed by the parser its verbs use (netconf.ts),
// with the same defaults. For whoever reads a node's conflist besides the runtime: the
// agent learns its bridge, pod subnet and state dirs here.
import { PODNET_PLUGIN } from '../lib/model/cni.js';
import { CniError, ErrorCode, invalidConfig } from './errors.js';
import { isObject, optArray } from './fields.js';
import { parsePodnetConf, type PodnetConf } from './netconf.js';

export function podnetConfOfConflist(text: string): PodnetConf {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new CniError(ErrorCode.DecodeFailure, `it is not valid JSON: ${(e as Error).message}`);
  }
  if (!isObject(list))
    throw new CniError(
      ErrorCode.DecodeFailure,
      'it is not a JSON object (a conflist is {"cniVersion", "name", "plugins": [...]})',
    );
  const plugins = optArray(list, 'plugins') ?? [];
  const plugin = plugins.find((p) => isObject(p) && p.type === PODNET_PLUGIN);
  if (!isObject(plugin)) throw invalidConfig(`it has no plugin of type "${PODNET_PLUGIN}" in "plugins"`);
  // What a runtime hands the plugin for ADD: the oldest verb, allowed in every version.
  return parsePodnetConf({ ...plugin, cniVersion: list.cniVersion, name: list.name }, 'ADD');
}
