// host-gw route reconciliation, flannel's way: the intent says which route each other
// node's pod subnet needs; the plan is the difference with the kernel's table. The agent
// marks its routes with its own protocol number and never touches a route without it.
import { spawn } from 'node:child_process';
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
      actions.push({ action: 'replace', dst: peer.podCIDR, via: peer.ip, dev: intent.uplink, was: `via ${ours.gateway} dev ${ours.dev}` });
    }
    // A route to that subnet that is not ours is someone's decision: leave it (findings report it).
  }
  const wantedDsts = new Set(wanted.map((p) => p.podCIDR));
  for (const r of s.routes) {
    if (r.ownedByPodnet && !wantedDsts.has(r.dst) && !held.has(r.dst)) actions.push({ action: 'remove', dst: r.dst, via: r.gateway, dev: r.dev, was: `via ${r.gateway} dev ${r.dev}` });
  }
  return actions;
}

export function routeLine(a: RouteAction): string {
  if (a.action === 'remove') return `route del ${a.dst}${a.via ? ` via ${a.via}` : ''}${a.dev ? ` dev ${a.dev}` : ''} proto ${PODNET_ROUTE_PROTO}`;
  return `route replace ${a.dst} via ${a.via} dev ${a.dev} proto ${PODNET_ROUTE_PROTO}`;
}

/** Applies the plan in one `ip -batch -force`; reports the lines that failed. */
export function applyRoutes(actions: RouteAction[]): Promise<string[]> {
  if (actions.length === 0) return Promise.resolve([]);
  return new Promise((resolve) => {
    const child = spawn('ip', ['-force', '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => resolve([e.message]));
    child.on('close', () => resolve(err.split('\n').filter((l) => l && !l.startsWith('Command failed'))));
    child.stdin.end(actions.map(routeLine).join('\n') + '\n');
  });
}
