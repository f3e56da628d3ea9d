// ADD: lease an address, wire a veth from the node's bridge into the pod, record the
// attachment. Every step that creates something pushes its undo; a failure runs them in
// reverse, so a failed ADD leaves no veth, no lease and no bridge it made.
import { existsSync } from 'node:fs';
import type { CniInterface, CniIpConfig, CniResult, CniRoute } from '../../lib/model/cni.js';
import { isIpv6Literal, parseCidr, type Ipv4Prefix } from '../../lib/model/ipv4.js';
import { ipBatch, ipBatchJson, NetError, type IpLink } from '../../lib/net/ip.js';
import { AttachmentStore } from '../../lib/state/attachments.js';
import { CniError, ErrorCode } from '../errors.js';
import { log, logTo } from '../log.js';
import { parseJson, parsePodnetConf, type PodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { resultForVersion } from '../version.js';
import { ipamClient } from './ipam-client.js';
import { bridgePorts, bridgeState, deleteLink, ensureForwarding, failedBatchLine, hostBatch, podBatch, readBridge, vethLines, type BridgeState, type HostPlan } from './kernel.js';
import { ensureMasquerade } from './masq.js';
import { hostVethName, randomMac } from './names.js';

interface PodAddress {
  cidr: string;
  prefix: Ipv4Prefix;
  gateway: string | undefined;
}

function podAddresses(ips: CniIpConfig[]): PodAddress[] {
  if (ips.length === 0) throw new CniError(ErrorCode.IpamDelegateFailed, 'the IPAM plugin returned no address');
  return ips.map((ip) => {
    if (isIpv6Literal(ip.address)) throw new CniError(ErrorCode.Ipv6NotSupported, `IPAM returned IPv6 address ${ip.address}: IPv6 is not supported yet`);
    const prefix = parseCidr(ip.address);
    if (!prefix) throw new CniError(ErrorCode.DecodeFailure, `IPAM returned address "${ip.address}", which is not a CIDR`);
    return { cidr: ip.address, prefix, gateway: ip.gateway };
  });
}

/** The bridge's gateway addresses, and an error when it already holds another one. */
function gatewayAddresses(conf: PodnetConf, addrs: PodAddress[], existing: string[]): string[] {
  if (!conf.isGateway) return [];
  const wanted = addrs.filter((a) => a.gateway).map((a) => `${a.gateway}/${a.prefix.length}`);
  for (const have of existing) {
    if (!wanted.includes(have)) {
      throw new CniError(ErrorCode.BridgeConflict, `bridge "${conf.bridge}" has address ${have}, expected ${wanted.join(', ') || 'none'}`, 'another network or a previous configuration owns this bridge: use another "bridge" name or remove the address');
    }
  }
  return wanted.filter((w) => !existing.includes(w));
}

function podRoutes(conf: PodnetConf, ipamRoutes: CniRoute[], addrs: PodAddress[]): CniRoute[] {
  const routes: CniRoute[] = [];
  const gw = addrs.find((a) => a.gateway)?.gateway;
  if (conf.isDefaultGateway) {
    if (!gw) throw new CniError(ErrorCode.InvalidNetworkConfig, 'isDefaultGateway is set but IPAM gave no gateway');
    routes.push({ dst: '0.0.0.0/0', gw });
  }
  for (const r of ipamRoutes) {
    if (isIpv6Literal(r.dst)) throw new CniError(ErrorCode.Ipv6NotSupported, `route ${r.dst} is IPv6: IPv6 is not supported yet`);
    if (routes.some((x) => x.dst === r.dst)) continue;
    routes.push(r);
  }
  return routes;
}

function vethExists(plan: HostPlan, e: NetError): CniError {
  return new CniError(ErrorCode.KernelOperation, `host veth ${plan.veth} already exists: is this container already attached? DEL it first`, e.stderr.trim());
}

/** The common case, in one `ip` process: the bridge exists. The batch prints the bridge
 *  as it was, then adds the veth; the bridge is judged from that print and the veth undone
 *  if the bridge is not what this network needs. Returns null, having changed nothing,
 *  when there is no bridge yet. */
function attachToExistingBridge(plan: HostPlan, conf: PodnetConf, addrs: PodAddress[], undo: (() => void)[]): BridgeState | null {
  const lines = [`addr show dev ${plan.bridge}`, ...vethLines(plan)];
  let printed: string[];
  try {
    printed = ipBatchJson(lines);
  } catch (e) {
    const failed = failedBatchLine(e);
    if (failed === 1 && e instanceof NetError && e.linkNotFound) return null;
    if (failed !== 1 && failed !== 2) deleteLink(plan.veth); // line 2 creates it
    if (e instanceof NetError) {
      if (failed === 2 && e.alreadyExists) throw vethExists(plan, e);
      // A device of another kind under the bridge's name refuses the veth as a port: say so.
      const before = e.stdout.split('\n')[0];
      if (before) bridgeState((JSON.parse(before) as IpLink[])[0]!, plan.bridge);
    }
    throw e;
  }
  undo.push(() => deleteLink(plan.veth));
  const bridge = bridgeState((JSON.parse(printed[0]!) as IpLink[])[0]!, plan.bridge);
  const fix = gatewayAddresses(conf, addrs, bridge.addresses).map((a) => `addr replace ${a} dev ${plan.bridge}`);
  if (!bridge.up) fix.push(`link set ${plan.bridge} up`);
  if (fix.length) ipBatch(fix);
  return bridge;
}

/** The first ADD on a node: create the bridge too. A bridge created by a concurrent ADD
 *  meanwhile is read and the batch retried once. */
function applyHostPlan(plan: HostPlan, conf: PodnetConf, addrs: PodAddress[], undo: (() => void)[]): HostPlan {
  for (let attempt = 0; ; attempt++) {
    const lines = hostBatch(plan);
    try {
      ipBatch(lines);
      break;
    } catch (e) {
      const failed = failedBatchLine(e);
      const line = lines[failed - 1] ?? '';
      // Lines before the failure took effect: undo what they created.
      const vethMade = failed === 0 || failed > lines.findIndex((l) => l.startsWith(`link add name ${plan.veth}`)) + 1;
      if (vethMade) deleteLink(plan.veth);
      if (plan.createBridge && failed !== 1 && bridgePorts(plan.bridge).length === 0) deleteLink(plan.bridge);
      const exists = e instanceof NetError && e.alreadyExists;
      if (exists && attempt === 0 && line.startsWith(`link add name ${plan.bridge} `)) {
        const bridge = readBridge(plan.bridge);
        plan = { ...plan, createBridge: !bridge, bridgeMac: bridge?.mac ?? plan.bridgeMac, bridgeUp: bridge?.up ?? false, gatewayAddresses: gatewayAddresses(conf, addrs, bridge?.addresses ?? []) };
        continue;
      }
      if (exists && line.startsWith(`link add name ${plan.veth}`)) throw vethExists(plan, e as NetError);
      throw e;
    }
  }
  undo.push(() => {
    deleteLink(plan.veth);
    if (plan.createBridge && bridgePorts(plan.bridge).length === 0) deleteLink(plan.bridge);
  });
  return plan;
}

function mergeWithPrev(prev: CniResult | null, interfaces: CniInterface[], ips: CniIpConfig[], routes: CniRoute[], dns: CniResult['dns']): CniResult {
  const base = prev?.interfaces?.length ?? 0;
  return {
    cniVersion: '1.1.0',
    interfaces: [...(prev?.interfaces ?? []), ...interfaces],
    ips: [...(prev?.ips ?? []), ...ips.map((ip) => ({ ...ip, interface: (ip.interface ?? 0) + base }))],
    routes: [...(prev?.routes ?? []), ...routes],
    dns: dns && Object.keys(dns).length ? dns : (prev?.dns ?? {}),
  };
}

export function cmdAdd({ env, stdin }: VerbContext): CniResult {
  const conf = parsePodnetConf(parseJson(stdin), 'ADD');
  logTo(conf.stateDir);
  if (!existsSync(env.netns)) throw new CniError(ErrorCode.InvalidEnvironment, `CNI_NETNS ${env.netns} does not exist: the pod's network namespace must be created before ADD`);
  const attachments = new AttachmentStore(conf.stateDir, conf.name);
  const veth = hostVethName(env.containerID, env.ifname);

  const undo: (() => void)[] = [];
  try {
    const ipam = ipamClient(conf, env, stdin);
    const leased = ipam.add();
    if (leased.fresh) undo.push(() => ipam.del());
    const addrs = podAddresses(leased.result.ips ?? []);
    const routes = podRoutes(conf, leased.result.routes ?? [], addrs);

    const basePlan: HostPlan = {
      bridge: conf.bridge,
      createBridge: false,
      bridgeMac: '',
      gatewayAddresses: [],
      bridgeUp: true,
      veth,
      vethMac: randomMac(),
      ifname: env.ifname,
      podMac: randomMac(),
      netns: env.netns,
      mtu: conf.mtu,
      hairpin: conf.hairpinMode,
    };
    const existing = attachToExistingBridge(basePlan, conf, addrs, undo);
    const plan = existing
      ? { ...basePlan, bridgeMac: existing.mac }
      : applyHostPlan({ ...basePlan, createBridge: true, bridgeMac: randomMac(), bridgeUp: false, gatewayAddresses: gatewayAddresses(conf, addrs, []) }, conf, addrs, undo);
    ipBatch(podBatch(env.ifname, addrs.map((a) => a.cidr), routes), { netns: env.netns });
    if (conf.isGateway) ensureForwarding();

    const interfaces: CniInterface[] = [
      { name: conf.bridge, mac: plan.bridgeMac },
      { name: veth, mac: plan.vethMac },
      { name: env.ifname, mac: plan.podMac, sandbox: env.netns },
    ];
    if (conf.mtu) for (const i of interfaces.slice(1)) i.mtu = conf.mtu;
    const ips: CniIpConfig[] = addrs.map((a) => ({ interface: 2, address: a.cidr, ...(a.gateway ? { gateway: a.gateway } : {}) }));
    const result = mergeWithPrev(conf.prevResult, interfaces, ips, routes, leased.result.dns);

    attachments.write({
      network: conf.name,
      containerID: env.containerID,
      ifname: env.ifname,
      netns: env.netns,
      podNamespace: env.args.get('K8S_POD_NAMESPACE') ?? null,
      podName: env.args.get('K8S_POD_NAME') ?? null,
      bridge: conf.bridge,
      hostVeth: veth,
      ips: addrs.map((a) => a.cidr),
      result,
      createdAt: new Date().toISOString(),
    });
    undo.push(() => attachments.remove(env.containerID, env.ifname));

    if (conf.ipMasq) {
      const sources = addrs.map((a) => a.prefix);
      // Without clusterNetwork, keep the reference plugin's behaviour: only the pod subnet is exempt.
      ensureMasquerade(conf.name, sources, conf.clusterNetwork ? [conf.clusterNetwork] : sources);
    }
    return resultForVersion(result, conf.cniVersion);
  } catch (e) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch (cleanup) {
        log('error', `rollback step failed after a failed ADD: ${(cleanup as Error).message}`, { containerID: env.containerID, ifname: env.ifname });
      }
    }
    throw e;
  }
}
