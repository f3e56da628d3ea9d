// One parser for every verb's stdin: the reference `bridge` plugin's field names plus
// podnet's own (clusterNetwork, agentSocket, stateDir), with defaults applied here.
import {
  DEFAULT_BRIDGE,
  DEFAULT_STATE_DIR,
  type CniResult,
  type IpamConf,
  type ValidAttachment,
} from '../lib/model/cni.js';
import { isIpv6Literal, parseCidr, type Ipv4Prefix } from '../lib/model/ipv4.js';
import { CniError, ErrorCode, invalidConfig } from './errors.js';
import type { Verb } from './env.js';
import {
  isObject,
  NAME_PATTERN,
  optArray,
  optBool,
  optInt,
  optObject,
  optString,
  reqString,
  type Json,
} from './fields.js';
import { checkVersion, normalizeResult } from './version.js';

export interface BaseConf {
  cniVersion: string;
  name: string;
  type: string;
  raw: Json;
  prevResult: CniResult | null;
  validAttachments: ValidAttachment[] | null;
}

export interface PodnetConf extends BaseConf {
  bridge: string;
  isGateway: boolean;
  isDefaultGateway: boolean;
  ipMasq: boolean;
  clusterNetwork: Ipv4Prefix | null;
  mtu: number | undefined;
  hairpinMode: boolean;
  agentSocket: string | undefined;
  stateDir: string;
  ipam: IpamConf;
}

/** Fields of the reference bridge plugin podnet does not implement: refuse, never ignore. */
const UNSUPPORTED_BRIDGE_FIELDS = [
  'vlan',
  'vlanTrunk',
  'preserveDefaultVlan',
  'macspoofchk',
  'enabledad',
  'disableContainerInterface',
  'forceAddress',
  'promiscMode',
];

export function parseJson(stdin: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(stdin);
  } catch (e) {
    throw new CniError(
      ErrorCode.DecodeFailure,
      'network configuration on stdin is not valid JSON',
      (e as Error).message,
    );
  }
  if (!isObject(value))
    throw new CniError(ErrorCode.DecodeFailure, 'network configuration on stdin is not a JSON object');
  return value;
}

/** The version to answer errors in, read before anything else can fail. */
export function sniffVersion(stdin: string): string | undefined {
  try {
    const v = (JSON.parse(stdin) as Json).cniVersion;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

function parseValidAttachments(raw: Json): ValidAttachment[] | null {
  const list = optArray(raw, 'cni.dev/valid-attachments');
  if (!list) return null;
  return list.map((a, i) => {
    if (!isObject(a) || typeof a.containerID !== 'string' || typeof a.ifname !== 'string') {
      throw invalidConfig(`cni.dev/valid-attachments[${i}] must be {"containerID": "...", "ifname": "..."}`);
    }
    return { containerID: a.containerID, ifname: a.ifname };
  });
}

export function parseBase(raw: Json, verb: Verb): BaseConf {
  const cniVersion = reqString(raw, 'cniVersion');
  checkVersion(cniVersion, verb);
  const name = reqString(raw, 'name');
  if (!NAME_PATTERN.test(name)) throw invalidConfig(`network name "${name}" has characters outside [a-zA-Z0-9_.-]`);
  const prev = raw.prevResult;
  return {
    cniVersion,
    name,
    type: optString(raw, 'type') ?? '',
    raw,
    prevResult: prev === undefined || prev === null ? null : normalizeResult(prev, 'prevResult'),
    validAttachments: parseValidAttachments(raw),
  };
}

export function parseIpamConf(raw: Json): IpamConf {
  const ipam = optObject(raw, 'ipam');
  if (!ipam)
    throw invalidConfig(
      'config has no "ipam" section: podnet needs one (e.g. {"type": "podnet-ipam", "ranges": [[{"subnet": "10.244.1.0/24"}]]})',
    );
  reqString(ipam, 'type', 'ipam.');
  return ipam as IpamConf;
}

export function parsePodnetConf(raw: Json, verb: Verb): PodnetConf {
  const base = parseBase(raw, verb);
  for (const field of UNSUPPORTED_BRIDGE_FIELDS) {
    if (raw[field] !== undefined && raw[field] !== false) {
      throw new CniError(
        ErrorCode.UnsupportedField,
        `config field "${field}" is not supported by podnet (it is a reference bridge option podnet does not implement)`,
      );
    }
  }
  const bridge = optString(raw, 'bridge') ?? DEFAULT_BRIDGE;
  if (bridge.length > 15 || !/^[a-zA-Z0-9_.-]+$/.test(bridge))
    throw invalidConfig(`bridge name "${bridge}" is not a valid interface name (at most 15 of a-z A-Z 0-9 _ . -)`);
  const isDefaultGateway = optBool(raw, 'isDefaultGateway', false);
  const clusterText = optString(raw, 'clusterNetwork');
  let clusterNetwork: Ipv4Prefix | null = null;
  if (clusterText !== undefined) {
    if (isIpv6Literal(clusterText))
      throw new CniError(
        ErrorCode.Ipv6NotSupported,
        `clusterNetwork "${clusterText}" is IPv6: IPv6 is not supported yet`,
      );
    clusterNetwork = parseCidr(clusterText);
    if (!clusterNetwork) throw invalidConfig(`clusterNetwork "${clusterText}" is not a CIDR such as 10.244.0.0/16`);
  }
  return {
    ...base,
    bridge,
    // The reference plugin turns isGateway on when isDefaultGateway is set.
    isGateway: optBool(raw, 'isGateway', false) || isDefaultGateway,
    isDefaultGateway,
    ipMasq: optBool(raw, 'ipMasq', false),
    clusterNetwork,
    mtu: optInt(raw, 'mtu', 68, 65535),
    hairpinMode: optBool(raw, 'hairpinMode', false),
    agentSocket: optString(raw, 'agentSocket'),
    stateDir: optString(raw, 'stateDir') ?? DEFAULT_STATE_DIR,
    ipam: parseIpamConf(raw),
  };
}
