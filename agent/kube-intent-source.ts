// Where the agent learns the other nodes in a real cluster: the Kubernetes API's Nodes
// (spec.podCIDR, InternalIP), listed and watched (lib/kube/reflector.ts re-lists after any
// drop). What host-gw needs of a peer is exactly flannel's: "10.244.N.0/24 via its IP".
import { loadKubeEndpoint } from '../lib/kube/endpoint.js';
import { HttpKubeClient } from '../lib/kube/http-client.js';
import { nodeRouting } from '../lib/kube/objects.js';
import { KubeReflectors } from '../lib/kube/reflector.js';
import type { Intent, Peer } from './findings.js';
import { AUTO_UPLINK, findUplink } from './uplink.js';

export interface KubeIntentOptions {
  kubeconfig?: string;
  node: string;
  clusterNetwork: string | null;
  /** an interface name, or "auto" (agent/uplink.ts) */
  uplink: string;
}

/** The Nodes, through the agent's own requests over node:http when lib/kube/endpoint.ts
 *  reads the kubeconfig (the service account, a plain kubeconfig file); else through
 *  @kubernetes/client-node, which reads any kubeconfig or says what is wrong with it. That
 *  client is ~38 MB of the agent's memory: loaded only when it is needed. */
async function nodeReflectors(kubeconfig: string | undefined, changed: () => void): Promise<KubeReflectors> {
  const endpoint = loadKubeEndpoint(kubeconfig);
  if (endpoint) return new KubeReflectors(() => new HttpKubeClient(endpoint), changed, ['nodes']);
  const [{ KubeWatch }, { loadKubeConfig }] = await Promise.all([
    import('../lib/kube/watch.js'),
    import('../lib/kube/config.js'),
  ]);
  return new KubeWatch(loadKubeConfig(kubeconfig), changed, ['nodes']);
}

export class KubeIntentSource {
  private watch: KubeReflectors | null = null;
  private stopped = false;
  private current: Intent;
  private text = '';
  /** "auto" resolved: for which own address and first peer, and to what */
  private uplinkFound: { key: string; ifname: string | null } | null = null;

  constructor(
    private readonly opts: KubeIntentOptions,
    private readonly onChange: (intent: Intent) => void,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.current = this.intentFrom([]);
  }

  get intent(): Intent {
    return this.current;
  }

  /** Throws KubeConfigError (lib/kube/config.ts) for a kubeconfig that cannot be used. */
  async start(): Promise<void> {
    const watch = await nodeReflectors(this.opts.kubeconfig, () => this.refresh());
    if (this.stopped) return; // stopped while the client loaded: nothing was started
    this.watch = watch;
    await this.watch.start();
    this.refresh();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.watch?.close();
  }

  problems(): string[] {
    return this.watch?.problems() ?? [];
  }

  private intentFrom(peers: Peer[], uplink = this.opts.uplink === AUTO_UPLINK ? 'eth0' : this.opts.uplink): Intent {
    return {
      routing: 'host-gw',
      peers,
      router: null,
      clusterNetwork: this.opts.clusterNetwork,
      expectFirewall: false,
      uplink,
    };
  }

  /** `--uplink auto`: looked up again only when this node's address or the first peer
   *  changes. Not found (yet): "eth0", and said once per change. */
  private uplink(selfIp: string | null, peers: Peer[]): string {
    if (this.opts.uplink !== AUTO_UPLINK) return this.opts.uplink;
    const key = `${selfIp}|${peers[0]?.ip ?? ''}`;
    if (this.uplinkFound?.key !== key) {
      const ifname = findUplink(selfIp, peers[0]?.ip ?? null);
      this.uplinkFound = { key, ifname };
      if (ifname)
        this.log(`uplink: ${ifname} (${selfIp ? `holds this node's InternalIP ${selfIp}` : 'routes to the peers'})`);
      else if (selfIp || peers.length)
        this.log(
          `uplink: no interface holds this node's InternalIP ${selfIp ?? '(none in its Node)'} nor routes to a peer: routes use eth0 until one does; give --uplink IF`,
        );
    }
    return this.uplinkFound.ifname ?? 'eth0';
  }

  /** what was last said about each refused Node, so a warning is logged once per change */
  private refused = new Map<string, string>();

  private refresh(): void {
    const peers: Peer[] = [];
    const refused = new Map<string, string>();
    let selfIp: string | null = null;
    for (const n of this.watch?.nodes().values() ?? []) {
      const name = n.metadata?.name;
      if (name === this.opts.node) selfIp = nodeRouting(n).ip;
      if (!name || name === this.opts.node) continue;
      // Every kubelet writes its own Node: its address and subnet are parsed, never passed on as text.
      const { ip, podCIDR, problems } = nodeRouting(n);
      if (problems.length) refused.set(name, problems.join('; '));
      // A node without a subnet or an address cannot be routed to yet; its next update will.
      if (!ip || !podCIDR) continue;
      peers.push({ name, ip, podCIDR });
    }
    for (const [name, why] of refused)
      if (this.refused.get(name) !== why)
        this.log(`Node ${JSON.stringify(name)} refused: ${why}; no route to it until it is corrected`);
    this.refused = refused;
    peers.sort((a, b) => a.name.localeCompare(b.name));
    const next = this.intentFrom(peers, this.uplink(selfIp, peers));
    const text = JSON.stringify(next);
    if (text === this.text) return;
    this.text = text;
    this.current = next;
    for (const p of this.problems()) this.log(p);
    this.onChange(next);
  }
}
