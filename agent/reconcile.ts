// host-gw route reconciliation, flannel's way: the intent says which route each other
// node's pod subnet needs; the plan is the difference with the kernel's table. The agent
// marks its routes with its own protocol number and never touches a route without it.
import { spawn } from 'node:child_process';
import { validIfname } from '../lib/model/ifname.js';
import { formatCidr, parseCidr, parseIpv4 } from '../lib/model/ipv4.js';
import { PODNET_ROUTE_PROTO, type NodeSnapshot } from '../lib/model/snapshot.js';
import { heldRoutes, type Intent } from './findings.js';

export interface RouteAction {
  action: 'add' | 'replace' | 'remove';
  dst: string;
  via: string | null;
  dev: string | null;
  /** for the log: what was there */
  was: string | null;
}

/** Pure: what to change so the kernel holds exactly podnet's routes to the peers. */
export function planRoutes(s: NodeSnapshot, intent: Intent): RouteAction[] {
  const actions: RouteAction[] = [];
  const wanted = intent.routing === 'host-gw' ? intent.peers : [];
  // A route the lab breaks on purpose stays broken until the fault is cleared.
  const held = heldRoutes(intent);
  for (const peer of wanted) {
    if (held.has(peer.podCIDR)) continue;
    const existing = s.routes.filter((r) => r.dst === peer.podCIDR);
    if (existing.length === 0) {
      actions.push({ action: 'add', dst: peer.podCIDR, via: peer.ip, dev: intent.uplink, was: null });
      continue;
    }
    const ours = existing.find((r) => r.ownedByPodnet);
    if (ours && (ours.gateway !== peer.ip || ours.dev !== intent.uplink)) {
      actions.push({
        action: 'replace',
        dst: peer.podCIDR,
        via: peer.ip,
        dev: intent.uplink,
        was: `via ${ours.gateway} dev ${ours.dev}`,
      });
    }
    // A route to that subnet that is not ours is someone's decision: leave it (findings report it).
  }
  const wantedDsts = new Set(wanted.map((p) => p.podCIDR));
  for (const r of s.routes) {
    if (r.ownedByPodnet && !wantedDsts.has(r.dst) && !held.has(r.dst))
      actions.push({ action: 'remove', dst: r.dst, via: r.gateway, dev: r.dev, was: `via ${r.gateway} dev ${r.dev}` });
  }
  return actions;
}

/** The `ip` arguments of an action, from values parsed again here: whatever reaches this
 *  point (an intent from the Kubernetes API, a route read from the kernel) becomes argv
 *  only if it is an IPv4 network, an IPv4 address and an interface name. Null otherwise. */
export function routeArgv(a: RouteAction): string[] | null {
  const dst = parseCidr(a.dst);
  if (!dst || formatCidr(dst) !== a.dst) return null;
  if (a.via !== null && parseIpv4(a.via) === null) return null;
  if (a.dev !== null && !validIfname(a.dev)) return null;
  const via = a.via ? ['via', a.via] : [];
  const dev = a.dev ? ['dev', a.dev] : [];
  if (a.action === 'remove') return ['route', 'del', a.dst, ...via, ...dev, 'proto', String(PODNET_ROUTE_PROTO)];
  if (!a.via || !a.dev) return null;
  return ['route', 'replace', a.dst, ...via, ...dev, 'proto', String(PODNET_ROUTE_PROTO)];
}

function runIp(args: string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = spawn('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve(`ip ${args.join(' ')}: ${e.message}`));
    child.on('close', (code) => resolve(code === 0 ? null : `ip ${args.join(' ')}: ${err.trim() || `exit ${code}`}`));
  });
}

/** Applies the plan, one `ip` process per action with its arguments as argv (never batch
 *  text a value could add a line to); reports what failed or was refused. */
export async function applyRoutes(actions: RouteAction[]): Promise<string[]> {
  const failed: string[] = [];
  for (const a of actions) {
    const argv = routeArgv(a);
    if (!argv) {
      failed.push(
        `refused ${a.action} ${JSON.stringify(a.dst)} via ${JSON.stringify(a.via)} dev ${JSON.stringify(a.dev)}: not an IPv4 network, address and interface name`,
      );
      continue;
    }
    const err = await runIp(argv);
    if (err) failed.push(err);
  }
  return failed;
}
