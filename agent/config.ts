// What the agent knows about its node before it looks at the kernel: its name, and what
// the node's podnet conflist says (bridge, pod subnet, where the plugin keeps its state).
import { readFileSync } from 'node:fs';
import { parseCidr, formatIpv4 } from '../lib/model/ipv4.js';

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
  const base: AgentConfig = { node, bridge: 'v-net-0', podCIDR: null, gateway: null, stateDir: null, network: 'podnet', dataDir: null, uplink };
  if (!path) return base;
  let list: { name?: string; plugins?: Record<string, unknown>[] };
  try {
    list = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`cannot read the conflist ${path}: ${(e as Error).message}`);
  }
  const plugin = list.plugins?.find((p) => p.type === 'podnet');
  if (!plugin) throw new ConfigError(`${path} has no plugin of type "podnet"`);
  const ipam = (plugin.ipam ?? {}) as { type?: string; ranges?: { subnet?: string; gateway?: string }[][]; subnet?: string; dataDir?: string };
  const range = ipam.ranges?.[0]?.[0] ?? { subnet: ipam.subnet };
  const subnet = range?.subnet ? parseCidr(range.subnet) : null;
  return {
    ...base,
    network: list.name ?? 'podnet',
    bridge: typeof plugin.bridge === 'string' ? plugin.bridge : 'v-net-0',
    podCIDR: subnet ? `${formatIpv4(subnet.network)}/${subnet.length}` : null,
    gateway: range?.gateway ?? (subnet ? formatIpv4(subnet.network + 1) : null),
    stateDir: typeof plugin.stateDir === 'string' ? plugin.stateDir : '/run/podnet',
    dataDir: ipam.type === 'podnet-ipam' ? (ipam.dataDir ?? '/var/lib/cni/networks') : null,
  };
}
