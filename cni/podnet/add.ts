// ADD: lease an address, wire a veth from the node's bridge into the pod, record the
// attachment. Every step that creates something pushes its undo; a failure runs them in
// reverse, so a failed ADD leaves no veth, no lease and no bridge it made.
import { existsSync } from 'node:fs';
import type { CniInterface, CniIpConfig, CniResult, CniRoute } from '../../lib/model/cni.js';
import {
  formatAddressCidr,
  formatCidr,
  formatIpv4,
  isIpv6Literal,
  parseCidr,
  parseIpv4,
  type Ipv4Prefix,
} from '../../lib/model/ipv4.js';
import type { IpLink, NetError } from '../../lib/net/ip.js';
import { currentThread } from '../../lib/proc/identity.js';
import { AttachmentStore } from '../../lib/state/attachments.js';
import { CniError, ErrorCode } from '../errors.js';
import { log, logTo } from '../log.js';
import { parseJson, parsePodnetConf, type PodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { resultForVersion } from '../version.js';
import { ipamClient } from './ipam-client.js';
import { IpStepFailed, runIpSteps, type IpStep } from './ip-steps.js';
import {
  bridgePorts,
  bridgeState,
  deleteLink,
  ensureForwarding,
  hostSteps,
  HostStep,
  openNetns,
  podSteps,
  readBridge,
  readLink,
  routesVia,
  vethSteps,
  type BridgeState,
  type HostPlan,
} from './kernel.js';
import { ensureMasquerade } from './masq.js';
import { hostVethName, randomMac } from './names.js';

interface PodAddress {
  /** formatted from the parsed address: what reaches `ip` */
  cidr: string;
  prefix: Ipv4Prefix;
  gateway: string | undefined;
}

function ipamValue(what: string, text: string): CniError {
  return new CniError(
    ErrorCode.DecodeFailure,
    `IPAM returned ${what} "${text}", which is not an IPv4 ${what === 'route' ? 'CIDR' : 'address'}`,
  );
}

function parseGateway(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const gw = parseIpv4(text);
  if (gw === null) throw ipamValue('gateway', text);
  return formatIpv4(gw);
}

/** The pod's addresses. With isGateway and no gateway from IPAM, the subnet's first address
 *  is the gateway (on the bridge, in the result), as the reference plugin computes it. */
function podAddresses(ips: CniIpConfig[], isGateway: boolean): PodAddress[] {
  if (ips.length === 0) throw new CniError(ErrorCode.IpamDelegateFailed, 'the IPAM plugin returned no address');
  return ips.map((ip) => {
    if (isIpv6Literal(ip.address))
      throw new CniError(
        ErrorCode.Ipv6NotSupported,
        `IPAM returned IPv6 address ${ip.address}: IPv6 is not supported yet`,
      );
    const prefix = parseCidr(ip.address);
    if (!prefix)
      throw new CniError(ErrorCode.DecodeFailure, `IPAM returned address "${ip.address}", which is not a CIDR`);
    const gateway = parseGateway(ip.gateway) ?? (isGateway ? formatIpv4(prefix.network + 1) : undefined);
    return { cidr: formatAddressCidr(prefix.address, prefix.length), prefix, gateway };
  });
}

/** The bridge's gateway addresses, and an error when it already holds another one. */
function gatewayAddresses(conf: PodnetConf, addrs: PodAddress[], existing: string[]): string[] {
  if (!conf.isGateway) return [];
  const wanted = addrs.filter((a) => a.gateway).map((a) => `${a.gateway}/${a.prefix.length}`);
  for (const have of existing) {
    if (!wanted.includes(have)) {
      throw new CniError(
        ErrorCode.BridgeConflict,
        `bridge "${conf.bridge}" has address ${have}, expected ${wanted.join(', ') || 'none'}`,
        'another network or a previous configuration owns this bridge: use another "bridge" name or remove the address',
      );
    }
  }
  return wanted.filter((w) => !existing.includes(w));
}

/** The routes of the result, parsed and formatted (what reaches `ip` is never IPAM's text). */
function podRoutes(conf: PodnetConf, ipamRoutes: CniRoute[], addrs: PodAddress[]): CniRoute[] {
  const routes: CniRoute[] = [];
  const gw = addrs.find((a) => a.gateway)?.gateway;
  if (conf.isDefaultGateway) {
    if (!gw) throw new CniError(ErrorCode.InvalidNetworkConfig, 'isDefaultGateway is set but IPAM gave no gateway');
    routes.push({ dst: '0.0.0.0/0', gw });
  }
  for (const r of ipamRoutes) {
    if (isIpv6Literal(r.dst))
      throw new CniError(ErrorCode.Ipv6NotSupported, `route ${r.dst} is IPv6: IPv6 is not supported yet`);
    const dst = parseCidr(r.dst);
    if (!dst) throw ipamValue('route', r.dst);
    const route: CniRoute = { dst: formatCidr(dst) };
    const via = parseGateway(r.gw);
    if (via) route.gw = via;
    if (routes.some((x) => x.dst === route.dst)) continue;
    routes.push(route);
  }
  return routes;
}

/** "File exists" from the veth step: the host end (this container is attached already) or
 *  the pod end (CNI_IFNAME is taken in the pod) — read which, to say so. */
function vethExists(plan: HostPlan, netns: string, e: NetError): CniError {
  if (readLink(plan.veth))
    return new CniError(
      ErrorCode.KernelOperation,
      `host veth ${plan.veth} already exists: is this container already attached? DEL it first`,
      e.stderr.trim(),
    );
  return new CniError(
    ErrorCode.KernelOperation,
    `interface ${JSON.stringify(plan.ifname)} already exists in ${netns}: choose another CNI_IFNAME or remove it`,
    e.stderr.trim(),
  );
}

/** Undo of each host step that creates something, by step name. */
function hostUndo(plan: HostPlan): Partial<Record<string, () => void>> {
  return {
    [HostStep.addVeth]: () => deleteLink(plan.veth),
    [HostStep.createBridge]: () => {
      if (bridgePorts(plan.bridge).length === 0) deleteLink(plan.bridge);
    },
  };
}

/** After a failed host step: undo what the steps before it made, newest first. */
function rollBack(plan: HostPlan, failure: IpStepFailed): void {
  const undo = hostUndo(plan);
  for (const name of [...new Set(failure.done)].reverse()) undo[name]?.();
}

/** The common case, in one `ip` process: the bridge exists. The steps print the bridge as
 *  it was, then add the veth; the bridge is judged from that print and the veth undone if
 *  the bridge is not what this network needs. Returns null, having changed nothing, when
 *  there is no bridge yet. */
function attachToExistingBridge(
  plan: HostPlan,
  conf: PodnetConf,
  addrs: PodAddress[],
  netns: string,
  undo: (() => void)[],
): BridgeState | null {
  let printed: Map<string, string>;
  try {
    printed = runIpSteps(
      [{ name: HostStep.readBridge, argv: ['addr', 'show', 'dev', plan.bridge], prints: true }, ...vethSteps(plan)],
      { flags: ['-j', '-d'] },
    );
  } catch (e) {
    if (!(e instanceof IpStepFailed)) throw e;
    if (e.step === HostStep.readBridge && e.cause.linkNotFound) return null;
    rollBack(plan, e);
    if (e.step === HostStep.addVeth && e.cause.alreadyExists) throw vethExists(plan, netns, e.cause);
    // A device of another kind under the bridge's name refuses the veth as a port: say so.
    const before = e.printed.get(HostStep.readBridge);
    if (before) bridgeState((JSON.parse(before) as IpLink[])[0]!, plan.bridge);
    throw e.cause;
  }
  undo.push(() => deleteLink(plan.veth));
  const bridge = bridgeState((JSON.parse(printed.get(HostStep.readBridge)!) as IpLink[])[0]!, plan.bridge);
  const fix: IpStep[] = gatewayAddresses(conf, addrs, bridge.addresses).map((a) => ({
    name: HostStep.bridgeAddress,
    argv: ['addr', 'replace', a, 'dev', plan.bridge],
  }));
  if (!bridge.up) fix.push({ name: HostStep.bridgeUp, argv: ['link', 'set', 'dev', plan.bridge, 'up'] });
  try {
    runIpSteps(fix);
  } catch (e) {
    throw e instanceof IpStepFailed ? e.cause : e;
  }
  return bridge;
}

/** The first ADD on a node: create the bridge too. A bridge created by a concurrent ADD
 *  meanwhile is read and the steps retried once. */
function applyHostPlan(
  plan: HostPlan,
  conf: PodnetConf,
  addrs: PodAddress[],
  netns: string,
  undo: (() => void)[],
): HostPlan {
  for (let attempt = 0; ; attempt++) {
    try {
      runIpSteps(hostSteps(plan));
      break;
    } catch (e) {
      if (!(e instanceof IpStepFailed)) throw e;
      // The bridge this ADD made goes too (create-bridge is among the steps done), unless
      // another ADD's veth is on it by now.
      rollBack(plan, e);
      if (e.cause.alreadyExists && attempt === 0 && e.step === HostStep.createBridge) {
        const bridge = readBridge(plan.bridge);
        plan = {
          ...plan,
          createBridge: !bridge,
          bridgeMac: bridge?.mac ?? plan.bridgeMac,
          bridgeUp: bridge?.up ?? false,
          gatewayAddresses: gatewayAddresses(conf, addrs, bridge?.addresses ?? []),
        };
        continue;
      }
      if (e.cause.alreadyExists && e.step === HostStep.addVeth) throw vethExists(plan, netns, e.cause);
      throw e.cause;
    }
  }
  undo.push(() => {
    deleteLink(plan.veth);
    if (plan.createBridge && bridgePorts(plan.bridge).length === 0) deleteLink(plan.bridge);
  });
  return plan;
}

function mergeWithPrev(
  prev: CniResult | null,
  interfaces: CniInterface[],
  ips: CniIpConfig[],
  routes: CniRoute[],
  dns: CniResult['dns'],
): CniResult {
  const base = prev?.interfaces?.length ?? 0;
  return {
    cniVersion: '1.1.0',
    interfaces: [...(prev?.interfaces ?? []), ...interfaces],
    ips: [...(prev?.ips ?? []), ...ips.map((ip) => ({ ...ip, interface: (ip.interface ?? 0) + base }))],
    routes: [...(prev?.routes ?? []), ...routes],
    dns: dns && Object.keys(dns).length ? dns : (prev?.dns ?? {}),
  };
}

export function cmdAdd({ env, stdin, afterResult }: VerbContext): CniResult {
  const conf = parsePodnetConf(parseJson(stdin), 'ADD');
  logTo(conf.stateDir);
  if (!existsSync(env.netns))
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `CNI_NETNS ${env.netns} does not exist: the pod's network namespace must be created before ADD`,
    );
  const attachments = new AttachmentStore(conf.stateDir, conf.name);
  const veth = hostVethName(env.containerID, env.ifname);

  let podNetns: ReturnType<typeof openNetns>;
  try {
    podNetns = openNetns(env.netns);
  } catch (e) {
    throw new CniError(
      ErrorCode.InvalidEnvironment,
      `CNI_NETNS ${env.netns} cannot be opened: ${(e as Error).message}`,
    );
  }

  const undo: (() => void)[] = [];
  try {
    // Before the lease and the veth: GC leaves alone an attachment a live ADD is building.
    const nonce = Math.random().toString(16).slice(2, 14);
    attachments.writePending({
      containerID: env.containerID,
      ifname: env.ifname,
      netns: env.netns,
      hostVeth: veth,
      holder: currentThread(),
      since: new Date().toISOString(),
      nonce,
    });
    undo.push(() => attachments.removePending(env.containerID, env.ifname, nonce));
    const ipam = ipamClient(conf, env, stdin);
    const leased = ipam.add();
    if (leased.fresh) undo.push(() => ipam.del());
    const addrs = podAddresses(leased.result.ips ?? [], conf.isGateway);
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
      podNetns: podNetns.ref,
      mtu: conf.mtu,
      hairpin: conf.hairpinMode,
    };
    const existing = attachToExistingBridge(basePlan, conf, addrs, env.netns, undo);
    const plan = existing
      ? { ...basePlan, bridgeMac: existing.mac }
      : applyHostPlan(
          {
            ...basePlan,
            createBridge: true,
            bridgeMac: randomMac(),
            bridgeUp: false,
            gatewayAddresses: gatewayAddresses(conf, addrs, []),
          },
          conf,
          addrs,
          env.netns,
          undo,
        );
    try {
      // Entered by argv (ip -n NAME, or nsenter --net=PATH): the path is no batch text either.
      const gateway = addrs.find((a) => a.gateway)?.gateway;
      runIpSteps(
        podSteps(
          env.ifname,
          addrs.map((a) => a.cidr),
          routesVia(routes, gateway),
        ),
        { netns: env.netns },
      );
    } catch (e) {
      throw e instanceof IpStepFailed ? e.cause : e;
    }
    if (conf.isGateway) ensureForwarding();

    const interfaces: CniInterface[] = [
      { name: conf.bridge, mac: plan.bridgeMac },
      { name: veth, mac: plan.vethMac },
      { name: env.ifname, mac: plan.podMac, sandbox: env.netns },
    ];
    if (conf.mtu) for (const i of interfaces.slice(1)) i.mtu = conf.mtu;
    const ips: CniIpConfig[] = addrs.map((a) => ({
      interface: 2,
      address: a.cidr,
      ...(a.gateway ? { gateway: a.gateway } : {}),
    }));
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
    // Once the runtime has the result: until then GC spares the attachment as under way.
    afterResult(() => {
      attachments.touch(env.containerID, env.ifname);
      attachments.removePending(env.containerID, env.ifname, nonce);
    });
    return resultForVersion(result, conf.cniVersion);
  } catch (e) {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch (cleanup) {
        log('error', `rollback step failed after a failed ADD: ${(cleanup as Error).message}`, {
          containerID: env.containerID,
          ifname: env.ifname,
        });
      }
    }
    throw e;
  } finally {
    podNetns.close();
  }
}
