// The CNI vocabulary podnet speaks: results, attachments and the configuration fields
// it shares with the reference `bridge` and `host-local` plugins. Types only, so the
// agent and the dashboard can name the same things without loading plugin code.

/** The spec versions podnet accepts; it answers in the version it was given. */
export const SUPPORTED_CNI_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];
export const LATEST_CNI_VERSION: CniVersion = '1.1.0';

/** the podnet plugin's `type` in a conflist */
export const PODNET_PLUGIN = 'podnet';

// The plugins' defaults, for a config that leaves the field out. Whoever reads or writes
// what the plugins do (the agent, the installer, the lab) takes these, so a change here
// moves them all.
/** `bridge`: the node bridge the podnet plugin attaches pods to */
export const DEFAULT_BRIDGE = 'v-net-0';
/** `stateDir`: where the plugins record attachments and write their log */
export const DEFAULT_STATE_DIR = '/run/podnet';
/** `ipam.dataDir`: where podnet-ipam keeps its leases (host-local's default) */
export const DEFAULT_DATA_DIR = '/var/lib/cni/networks';
/** the network name `podnet cni install` writes into its conflist */
export const DEFAULT_NETWORK_NAME = 'podnet';

export interface CniInterface {
  name: string;
  mac?: string;
  mtu?: number;
  sandbox?: string;
}

export interface CniIpConfig {
  /** present only in 0.3.x/0.4.0 results */
  version?: '4' | '6';
  /** index into `interfaces` */
  interface?: number;
  address: string;
  gateway?: string;
}

export interface CniRoute {
  dst: string;
  gw?: string;
}

export interface CniDns {
  nameservers?: string[];
  domain?: string;
  search?: string[];
  options?: string[];
}

export interface CniResult {
  cniVersion: string;
  interfaces?: CniInterface[];
  ips?: CniIpConfig[];
  routes?: CniRoute[];
  dns?: CniDns;
}

export interface CniErrorBody {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

/** `host-local`'s range entry (also podnet-ipam's). */
export interface IpamRange {
  subnet: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
}

export interface IpamConf {
  type: string;
  ranges?: IpamRange[][];
  subnet?: string;
  rangeStart?: string;
  rangeEnd?: string;
  gateway?: string;
  routes?: CniRoute[];
  dataDir?: string;
  [extra: string]: unknown;
}

/** What the podnet plugin records on disk for each attachment, so the agent can say
 *  which pod is behind which veth. One JSON file per (containerID, ifname). */
export interface Attachment {
  network: string;
  containerID: string;
  ifname: string;
  netns: string;
  podNamespace: string | null;
  podName: string | null;
  bridge: string;
  hostVeth: string;
  ips: string[];
  result: CniResult;
  createdAt: string;
}

export interface ValidAttachment {
  containerID: string;
  ifname: string;
}
