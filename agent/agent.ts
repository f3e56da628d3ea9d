// The node agent: keeps a current snapshot of the node's network, driven by the kernel's
// own notifications (`ip monitor`) and the plugin's files changing, never by polling
// alone; streams each change as a diff; keeps the host-gw routes right; serves it all.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { diffSnapshots } from '../lib/model/diff.js';
import { parsePodRef } from '../lib/model/lab.js';
import type { FirewallSummary, NodeSnapshot } from '../lib/model/snapshot.js';
import { firewallFacts } from '../lib/firewall/apply.js';
import { collectWith, kernelReader, type RawDump } from './collect.js';
import { configFromConflist, type AgentConfig } from './config.js';
import { EventLog, type AgentEvent } from './events.js';
import { NO_INTENT, type Intent } from './findings.js';
import { LabIntentSource } from './intent-source.js';
import type { KubeIntentSource } from './kube-intent-source.js';
import { log } from './log.js';
import { Metrics } from './metrics.js';
import { startCniSocket } from './cni-socket/server.js';
import { lookupResponse } from './lookup.js';
import { createProber, probeResponse, type PodLocation } from './probe.js';
import { applyRoutes, planRoutes } from './reconcile.js';
import type { Server as HttpsServer } from 'node:https';
import { readTls, readTokenVerifier, reloadTlsOnChange, type TlsFiles } from './credentials.js';
import { createAgentServer, listen } from './server.js';

export interface AgentOptions {
  node: string;
  conflist: string | null;
  /** the lab's inventory file: where the agent learns the other nodes */
  labInventory: string | null;
  /** or the Kubernetes API's Nodes (a real cluster) */
  kubernetes?: { kubeconfig?: string; clusterNetwork: string | null; uplink: string } | null;
  listen: string;
  /** the bearer token, or better its verifier (sha256:…): agent/credentials.ts */
  tokenFile: string | null;
  /** on TCP: serve TLS with this certificate and key (re-read when they change) */
  tls?: TlsFiles | null;
  /** program the host-gw routes (on by default) */
  reconcile: boolean;
  /** serve the CNI fast path on this unix socket (the conflist's agentSocket) */
  cniSocket?: string | null;
  /** the safety recheck's period (default RECHECK_MS); tests lengthen it to show that a
   *  change is seen without it */
  recheckMs?: number;
}

export interface RunningAgent {
  config: AgentConfig;
  snapshot(): NodeSnapshot | null;
  metrics: Metrics;
  stop(): Promise<void>;
}

/** Changes arrive in bursts (a pod ADD is a dozen netlink messages): collect once per burst. */
const DEBOUNCE_MS = 15;
/** A safety net for a missed notification; changes themselves arrive as events. Each
 *  collection runs the four dumps, so this is what idle costs (the figure: bench/README.md). */
export const RECHECK_MS = 15_000;
/** \`ip monitor\` is restarted when it exits or cannot start, after this back-off (doubling
 *  up to the maximum; a monitor that ran MONITOR_HEALTHY_MS starts it over), and the kernel
 *  is dumped afresh MONITOR_SETTLE_MS after the restart: by then the new monitor listens,
 *  so what changed in the gap is in the dump and what changes after it is reported. */
const MONITOR_RESTART_MS = 250;
const MONITOR_RESTART_MAX_MS = 30_000;
const MONITOR_HEALTHY_MS = 10_000;
const MONITOR_SETTLE_MS = 100;
/** Firewall facts are re-read when `nft monitor` reports a change; this timer is the net. */
export const FIREWALL_MS = 60_000;
/** Neighbour churn the snapshot never shows: IPv6 multicast and NOARP entries the kernel
 *  makes and expires for the veths' own traffic. Collecting for them only costs CPU. */
const IGNORED_MONITOR_LINE = /^(Deleted )?ff0[0-9a-f]:|\bNOARP\b/;

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const config = configFromConflist(opts.node, opts.conflist);
  const verifier = opts.tokenFile ? readTokenVerifier(opts.tokenFile) : null;
  if (verifier?.rawToken && !opts.listen.startsWith('unix:')) {
    log(
      'warn',
      "the token file holds the token itself: whoever reads this node's disk can command every agent and read the dashboard's data; give agents its verifier instead (podnet agent verifier)",
      { tokenFile: opts.tokenFile },
    );
  }
  const tls = opts.tls ? readTls(opts.tls) : undefined;
  const metrics = new Metrics();
  const events = new EventLog();
  const subscribers = new Set<(e: AgentEvent) => void>();
  let current: NodeSnapshot | null = null;
  let stopTlsReload = () => {};
  let intent: Intent = NO_INTENT;
  let firewall: FirewallSummary | null = null;
  let stopped = false;

  const readFirewall = () => {
    try {
      const f = firewallFacts();
      firewall = {
        forwardPolicy: f.forwardPolicy,
        table: f.table,
        masquerade: f.masquerade,
        forwardAccepts: f.forwardAccepts,
        inputRestricted: f.inputRestricted,
      };
    } catch (e) {
      log('warn', 'firewall facts unavailable', { error: (e as Error).message });
      firewall = null;
    }
  };

  // One collection at a time; a change during one schedules exactly one more. The kernel
  // is dumped again only when the kernel said something changed (or on the safety recheck).
  let running = false;
  let again = false;
  let kernelDirty = true;
  let lastRaw: RawDump | null = null;
  let timer: NodeJS.Timeout | null = null;
  // The node's kernel is read by one resident `ip -batch` (killed by its pid on stop).
  const reader = kernelReader((msg, fields) => log('warn', msg, fields));
  const refresh = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const cached = kernelDirty ? null : lastRaw;
        kernelDirty = false;
        const { snapshot: next, raw } = await collectWith({ config, intent, firewall, reader }, cached);
        lastRaw = raw;
        metrics.observeSnapshot(next.collectMs);
        const changes = diffSnapshots(current, next);
        current = next;
        if (changes.length) {
          const event = events.append(changes);
          for (const fn of subscribers) fn(event);
        }
        if (opts.reconcile) await reconcile(next);
      } while (again && !stopped);
    } catch (e) {
      log('error', 'collection failed', { error: (e as Error).message });
    } finally {
      running = false;
    }
  };
  const schedule = (what: 'kernel' | 'files' = 'kernel') => {
    if (what === 'kernel') kernelDirty = true;
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = null;
      void refresh();
    }, DEBOUNCE_MS);
  };

  let reconciledOnce = false;
  const reconcile = async (snap: NodeSnapshot) => {
    const actions = planRoutes(snap, intent);
    if (!actions.length) {
      reconciledOnce = true;
      return;
    }
    const failed = await applyRoutes(actions);
    for (const a of actions) {
      metrics.countReconcile(a.action);
      // After the first pass, a missing route is one that someone removed: flannel's "route recovered".
      log('info', a.action === 'add' && reconciledOnce ? 'route recovered' : `route ${a.action}`, {
        dst: a.dst,
        via: a.via,
        dev: a.dev,
        was: a.was,
      });
    }
    if (failed.length) log('warn', 'route changes failed; retrying on the next change or check', { errors: failed });
    // The kernel's notifications for these changes schedule the next collection.
  };

  // Sources of change: netlink, the plugin's files, the lab's inventory, and two timers.
  let monitorBackoff = MONITOR_RESTART_MS;
  let monitorRetry: NodeJS.Timeout | null = null;
  const monitor = (restarted: boolean): ChildProcess => {
    const started = Date.now();
    const child = spawn('ip', ['-o', 'monitor', 'link', 'address', 'route', 'neigh'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (chunk.split('\n').some((line) => line && !IGNORED_MONITOR_LINE.test(line))) schedule('kernel');
    });
    if (restarted) {
      child.once('spawn', () => {
        monitorRetry = setTimeout(() => {
          monitorRetry = null;
          schedule('kernel');
        }, MONITOR_SETTLE_MS);
      });
    }
    // 'error' (it could not start) and 'exit' may both come: one restart per child.
    let gone = false;
    const restart = (why: string) => {
      if (gone || stopped) return;
      gone = true;
      if (Date.now() - started >= MONITOR_HEALTHY_MS) monitorBackoff = MONITOR_RESTART_MS;
      log('warn', `ip monitor ${why}; restarting it in ${monitorBackoff} ms, then reading the kernel afresh`);
      if (monitorRetry) clearTimeout(monitorRetry);
      monitorRetry = setTimeout(() => {
        monitorRetry = null;
        mon = monitor(true);
      }, monitorBackoff);
      monitorBackoff = Math.min(monitorBackoff * 2, MONITOR_RESTART_MAX_MS);
    };
    child.on('error', (e) => restart(`could not run (${(e as NodeJS.ErrnoException).code ?? e.message})`));
    child.on('exit', (code, signal) => restart(`exited (${signal ?? `code ${code}`})`));
    return child;
  };
  let mon = monitor(false);
  const watchers: FSWatcher[] = [];
  const watchDir = (dir: string) => {
    mkdirSync(dir, { recursive: true });
    watchers.push(watch(dir, () => schedule('files')));
  };
  if (config.stateDir) watchDir(join(config.stateDir, 'attachments', config.network));
  if (config.dataDir) watchDir(join(config.dataDir, config.network));
  const source = opts.labInventory
    ? new LabIntentSource(opts.labInventory, opts.node, (next) => {
        intent = next;
        log('info', 'nodes changed', { peers: next.peers.map((p) => p.name), routing: next.routing });
        schedule('files');
      })
    : null;
  source?.start();
  if (source) intent = source.intent;
  // Loaded only for a real cluster. It makes its own requests (lib/kube/http-client.ts) and
  // loads the Kubernetes client, ~1,000 modules and some 38 MB of the agent's memory
  // (bench/README.md, the agent's memory), only for a kubeconfig it cannot read itself.
  const kube: KubeIntentSource | null = opts.kubernetes
    ? new (await import('./kube-intent-source.js')).KubeIntentSource(
        { ...opts.kubernetes, node: opts.node },
        (next) => {
          intent = next;
          log('info', 'nodes changed', {
            peers: next.peers.map((p) => p.name),
            routing: next.routing,
            from: 'kubernetes',
          });
          schedule('files');
        },
        (problem) => log('warn', problem),
      )
    : null;
  if (kube) {
    await kube.start();
    intent = kube.intent;
  }
  readFirewall();
  const recheck = setInterval(() => {
    kernelDirty = true;
    void refresh();
  }, opts.recheckMs ?? RECHECK_MS);
  let fwPending: NodeJS.Timeout | null = null;
  const rereadFirewall = () => {
    if (fwPending) return;
    fwPending = setTimeout(() => {
      fwPending = null;
      const before = JSON.stringify(firewall);
      readFirewall();
      if (JSON.stringify(firewall) !== before) schedule('files');
    }, 100); // a ruleset reload is a burst of messages: read once after it
  };
  const fwTimer = setInterval(rereadFirewall, FIREWALL_MS);
  // nftables reports every ruleset change, iptables-nft's included.
  const nftMonitor = spawn('nft', ['monitor'], { stdio: ['ignore', 'pipe', 'ignore'] });
  nftMonitor.stdout!.on('data', rereadFirewall);
  nftMonitor.on('error', () => log('warn', 'nft monitor unavailable: firewall facts are re-read every minute'));

  await refresh();

  // Probes run from this node's pods (or the node); a target pod may be on any node the
  // agent knows of (in the lab, the inventory names every pod).
  // By this node's attachments, else by the lab's inventory (any node's pod, or with
  // `ownOnly` one attached here a moment ago that the snapshot does not show yet).
  const resolvePod = (ref: string, ownOnly = false): PodLocation | null => {
    const { namespace, name } = parsePodRef(ref);
    const here = current?.pods.find((x) => (x.namespace ?? 'default') === namespace && x.name === name);
    if (here) return { netns: here.netns, ip: here.ip };
    const there = source?.lab?.pods.find(
      (x) => x.namespace === namespace && x.name === name && (!ownOnly || x.node === opts.node),
    );
    return there ? { netns: `/run/netns/${there.netns}`, ip: there.ip } : null;
  };
  const prober = createProber({ nodeNetns: null, resolvePod: (ref) => resolvePod(ref), counters: metrics.probes });
  // The CNI fast path: the plugin's shim hands ADD/DEL/CHECK to this process.
  const cni = opts.cniSocket
    ? await startCniSocket(opts.cniSocket, {
        log: (level, msg, fields) => log(level as 'info', msg, { ...fields, part: 'cni' }),
      })
    : null;

  const agent: RunningAgent = {
    config,
    snapshot: () => current,
    metrics,
    async stop() {
      stopped = true;
      clearInterval(recheck);
      clearInterval(fwTimer);
      if (fwPending) clearTimeout(fwPending);
      if (timer) clearTimeout(timer);
      if (monitorRetry) clearTimeout(monitorRetry);
      mon.kill('SIGTERM');
      nftMonitor.kill('SIGTERM');
      for (const w of watchers) w.close();
      source?.stop();
      await kube?.stop();
      await prober.close();
      await cni?.close();
      await reader.close();
      stopTlsReload();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createAgentServer(
    {
      node: opts.node,
      verifier: verifier?.digest ?? null,
      snapshot: () => current,
      events,
      subscribe: (fn) => (subscribers.add(fn), () => subscribers.delete(fn)),
      metrics,
      probe: (body) => probeResponse(prober, body),
      // Lookups run in this node's own pods only: another node's pod is its agent's to ask.
      lookup: (body) => lookupResponse(body, { resolvePod: (ref) => resolvePod(ref, true) }),
    },
    tls,
  );
  await listen(server, opts.listen);
  if (opts.tls) stopTlsReload = reloadTlsOnChange(server as HttpsServer, opts.tls, (msg) => log('error', msg));
  log('info', 'agent up', {
    node: opts.node,
    listen: opts.listen,
    bootId: events.bootId,
    pods: (current as NodeSnapshot | null)?.pods.length ?? 0,
  });
  return agent;
}
