// CHECK: compare the kernel with prevResult and name the first thing that differs.
import type { CniResult } from '../../lib/model/cni.js';
import { ipJson, type IpRoute } from '../../lib/net/ip.js';
import { CniError, ErrorCode } from '../errors.js';
import { logTo } from '../log.js';
import { parseJson, parsePodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { ipamClient } from './ipam-client.js';
import { readLink, routesVia } from './kernel.js';
import { hostVethName } from './names.js';

function mismatch(msg: string): CniError {
  return new CniError(ErrorCode.CheckMismatch, msg);
}

function routeKey(dst: string, gw: string | undefined): string {
  return `${dst === '0.0.0.0/0' ? 'default' : dst} via ${gw ?? 'direct'}`;
}

export function cmdCheck({ env, stdin }: VerbContext): void {
  const conf = parsePodnetConf(parseJson(stdin), 'CHECK');
  logTo(conf.stateDir);
  const prev: CniResult | null = conf.prevResult;
  if (!prev) throw new CniError(ErrorCode.InvalidNetworkConfig, 'CHECK needs prevResult in the configuration');
  ipamClient(conf, env, stdin).check(prev);

  const interfaces = prev.interfaces ?? [];
  const podIndex = interfaces.findIndex((i) => i.name === env.ifname && i.sandbox === env.netns);
  if (podIndex < 0) throw mismatch(`prevResult has no interface ${env.ifname} in sandbox ${env.netns}`);
  const podIf = interfaces[podIndex]!;

  const veth = hostVethName(env.containerID, env.ifname);
  const host = readLink(veth);
  if (!host) throw mismatch(`host veth ${veth} of ${env.containerID}/${env.ifname} is missing`);
  if (host.master !== conf.bridge)
    throw mismatch(
      `host veth ${veth} is ${host.master ? `attached to ${host.master}` : 'not attached to any bridge'}, expected bridge ${conf.bridge}`,
    );
  if (!host.flags.includes('UP')) throw mismatch(`host veth ${veth} is down`);
  const bridge = readLink(conf.bridge);
  if (!bridge) throw mismatch(`bridge ${conf.bridge} is missing`);

  const pod = readLink(env.ifname, env.netns);
  if (!pod) throw mismatch(`interface ${env.ifname} is missing from ${env.netns}`);
  if (podIf.mac && pod.address && podIf.mac.toLowerCase() !== pod.address.toLowerCase()) {
    throw mismatch(`interface ${env.ifname} has MAC ${pod.address}, prevResult says ${podIf.mac}`);
  }
  if (!pod.flags.includes('UP')) throw mismatch(`interface ${env.ifname} in ${env.netns} is down`);
  const have = new Set((pod.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  for (const ipc of prev.ips ?? []) {
    if (ipc.interface !== undefined && ipc.interface !== podIndex) continue;
    if (!have.has(ipc.address))
      throw mismatch(
        `address ${ipc.address} is missing from ${env.ifname} in ${env.netns} (it has ${[...have].join(', ') || 'none'})`,
      );
  }
  const routes = new Set(
    ipJson<IpRoute>(['route', 'show', 'dev', env.ifname], { netns: env.netns }).map((r) => routeKey(r.dst, r.gateway)),
  );
  const gateway = (prev.ips ?? []).find(
    (ipc) => (ipc.interface === undefined || ipc.interface === podIndex) && ipc.gateway,
  )?.gateway;
  for (const r of routesVia(prev.routes ?? [], gateway)) {
    if (!routes.has(routeKey(r.dst, r.gw)))
      throw mismatch(`route ${routeKey(r.dst, r.gw)} is missing from ${env.netns}`);
  }
}
