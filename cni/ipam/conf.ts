// podnet-ipam's configuration, host-local's field names: `ranges` (a list of range
// sets) or the older single `subnet`/`rangeStart`/`rangeEnd`/`gateway`; `routes`;
// `dataDir`; `dns` passes through.
import { DEFAULT_DATA_DIR, type CniDns, type CniRoute, type IpamConf, type IpamRange } from '../../lib/model/cni.js';
import { IpRangeError, parseRange, type RangeSet } from '../../lib/ipam/range.js';
import { isIpv6Literal, parseCidr, parseIpv4 } from '../../lib/model/ipv4.js';
import { CniError, ErrorCode, invalidConfig } from '../errors.js';
import { isObject } from '../fields.js';

export interface IpamSettings {
  rangeSets: RangeSet[];
  routes: CniRoute[];
  dns: CniDns | undefined;
  dataDir: string;
}

function ipv6(msg: string): CniError {
  return new CniError(ErrorCode.Ipv6NotSupported, msg);
}

function parseRanges(ipam: IpamConf): IpamRange[][] {
  if (ipam.ranges !== undefined) {
    if (
      !Array.isArray(ipam.ranges) ||
      ipam.ranges.length === 0 ||
      !ipam.ranges.every((s) => Array.isArray(s) && s.length > 0)
    ) {
      throw invalidConfig(
        'ipam.ranges must be a non-empty list of non-empty lists of ranges, e.g. [[{"subnet": "10.244.1.0/24"}]]',
      );
    }
    return ipam.ranges;
  }
  if (typeof ipam.subnet === 'string') {
    return [[{ subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway }]];
  }
  throw invalidConfig('ipam needs "ranges" (or "subnet"): e.g. "ranges": [[{"subnet": "10.244.1.0/24"}]]');
}

export function parseIpamSettings(ipam: IpamConf): IpamSettings {
  const rangeSets = parseRanges(ipam).map((set, i) =>
    set.map((r, j) => {
      if (!isObject(r)) throw invalidConfig(`ipam.ranges[${i}][${j}] is not an object`);
      try {
        return parseRange(r as unknown as IpamRange);
      } catch (e) {
        if (e instanceof IpRangeError) throw e.ipv6 ? ipv6(e.message) : invalidConfig(e.message);
        throw e;
      }
    }),
  );
  const routes = (ipam.routes ?? []).map((r, i) => {
    if (!isObject(r) || typeof r.dst !== 'string')
      throw invalidConfig(`ipam.routes[${i}] must be {"dst": "CIDR", "gw"?: "IP"}`);
    if (isIpv6Literal(r.dst) || (typeof r.gw === 'string' && isIpv6Literal(r.gw)))
      throw ipv6(`ipam.routes[${i}] ${r.dst} is IPv6: IPv6 is not supported yet`);
    if (!parseCidr(r.dst)) throw invalidConfig(`ipam.routes[${i}].dst "${r.dst}" is not a CIDR`);
    if (r.gw !== undefined && (typeof r.gw !== 'string' || parseIpv4(r.gw) === null))
      throw invalidConfig(`ipam.routes[${i}].gw ${JSON.stringify(r.gw)} is not an IPv4 address`);
    return r.gw === undefined ? { dst: r.dst } : { dst: r.dst, gw: r.gw as string };
  });
  if (ipam.dataDir !== undefined && (typeof ipam.dataDir !== 'string' || !ipam.dataDir.startsWith('/'))) {
    throw invalidConfig(`ipam.dataDir ${JSON.stringify(ipam.dataDir)} must be an absolute path`);
  }
  return {
    rangeSets,
    routes,
    dns: isObject(ipam.dns) ? (ipam.dns as CniDns) : undefined,
    dataDir: (ipam.dataDir as string | undefined) ?? DEFAULT_DATA_DIR,
  };
}
