// What the agent knows about its node before it looks at the kernel: its name, and what
// the node's podnet conflist says (bridge, pod subnet, where the plugin keeps its state),
// read by the plugin's own parser with the plugin's own defaults, so the agent watches
// the directories the plugin writes.
import { readFileSync } from 'node:fs';
import { DEFAULT_BRIDGE, DEFAULT_NETWORK_NAME } from '../lib/model/cni.js';
import { formatCidr, formatIpv4 } from '../lib/model/ipv4.js';
import { podnetConfOfConflist } from '../cni/conflist.js';
import { CniError } from '../cni/errors.js';
import { parseIpamSettings, type IpamSettings } from '../cni/ipam/conf.js';
import type { PodnetConf } from '../cni/netconf.js';

export interface AgentConfig {
  node: string;
  bridge: string;
  podCIDR: string | null;
  gateway: string | null;
  /** the CNI plugin's state dir (attachment records) */
  stateDir: string | null;
  network: string;
  /** podnet-ipam's lease dir */
  dataDir: string | null;
  /** the node's LAN interface */
  uplink: string;
}

export class ConfigError extends Error {}

export function configFromConflist(node: string, path: string | null, uplink = 'eth0'): AgentConfig {
  const base: AgentConfig = {
    node,
    bridge: DEFAULT_BRIDGE,
    podCIDR: null,
    gateway: null,
    stateDir: null,
    network: DEFAULT_NETWORK_NAME,
    dataDir: null,
    uplink,
  };
  if (!path) return base;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read the conflist ${path}: ${(e as Error).message}`);
  }
  let conf: PodnetConf;
  let settings: IpamSettings | null;
  try {
    conf = podnetConfOfConflist(text);
    settings = hostLocalShaped(conf) ? parseIpamSettings(conf.ipam) : null;
  } catch (e) {
    if (!(e instanceof CniError)) throw e;
    throw new ConfigError(
      `the conflist ${path} is not one the podnet plugin accepts: ${e.message}${e.details ? ` (${e.details})` : ''}. Fix the file (or pass --conflist another).`,
    );
  }
  const range = settings?.rangeSets[0]?.[0];
  return {
    ...base,
    network: conf.name,
    bridge: conf.bridge,
    podCIDR: range ? formatCidr(range.subnet) : null,
    gateway: range?.gateway != null ? formatIpv4(range.gateway) : null,
    stateDir: conf.stateDir,
    dataDir: conf.ipam.type === 'podnet-ipam' ? (settings?.dataDir ?? null) : null,
  };
}

/** podnet-ipam's config, or a delegated IPAM's with host-local's fields (ranges or subnet),
 *  whose first range is the node's pod subnet; any other IPAM says nothing about it. */
function hostLocalShaped(conf: PodnetConf): boolean {
  return conf.ipam.type === 'podnet-ipam' || conf.ipam.ranges !== undefined || conf.ipam.subnet !== undefined;
}
