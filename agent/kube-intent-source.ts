// Where the agent learns the other nodes in a real cluster: the Kubernetes API's Nodes
// (spec.podCIDR, InternalIP), listed and watched (lib/kube/watch.ts re-lists after any
// drop). What host-gw needs of a peer is exactly flannel's: "10.244.N.0/24 via its IP".
import { KubeWatch } from '../lib/kube/watch.js';
import { loadKubeConfig } from '../lib/kube/config.js';
import { nodeRouting } from '../lib/kube/objects.js';
import type { Intent, Peer } from './findings.js';

export interface KubeIntentOptions {
  kubeconfig?: string;
  node: string;
  clusterNetwork: string | null;
  uplink: string;
}

export class KubeIntentSource {
  private readonly watch: KubeWatch;
  private current: Intent;
  private text = '';

  constructor(
    private readonly opts: KubeIntentOptions,
    private readonly onChange: (intent: Intent) => void,
    private readonly log: (msg: string) => void = () => {},
  ) {
    this.current = this.intentFrom([]);
    this.watch = new KubeWatch(loadKubeConfig(opts.kubeconfig), () => this.refresh(), ['nodes']);
  }

  get intent(): Intent {
    return this.current;
  }

  async start(): Promise<void> {
    await this.watch.start();
    this.refresh();
  }

  stop(): Promise<void> {
    return this.watch.close();
  }

  problems(): string[] {
    return this.watch.problems();
  }

  private intentFrom(peers: Peer[]): Intent {
    return {
      routing: 'host-gw',
      peers,
      router: null,
      clusterNetwork: this.opts.clusterNetwork,
      expectFirewall: false,
      uplink: this.opts.uplink,
    };
  }

  /** what was last said about each refused Node, so a warning is logged once per change */
  private refused = new Map<string, string>();

  private refresh(): void {
    const peers: Peer[] = [];
    const refused = new Map<string, string>();
    for (const n of this.watch.nodes().values()) {
      const name = n.metadata?.name;
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
    const next = this.intentFrom(peers);
    const text = JSON.stringify(next);
    if (text === this.text) return;
    this.text = text;
    this.current = next;
    for (const p of this.watch.problems()) this.log(p);
    this.onChange(next);
  }
}
