// Where the agent learns the other nodes in a real cluster: the Kubernetes API's Nodes
// (spec.podCIDR, InternalIP), listed and watched (lib/kube/watch.ts re-lists after any
// drop). What host-gw needs of a peer is exactly flannel's: "10.244.N.0/24 via its IP".
import { KubeWatch } from '../lib/kube/watch.js';
import { loadKubeConfig } from '../lib/kube/config.js';
import { internalIP } from '../lib/kube/objects.js';
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
    return { routing: 'host-gw', peers, router: null, clusterNetwork: this.opts.clusterNetwork, expectFirewall: false, uplink: this.opts.uplink };
  }

  private refresh(): void {
    const peers: Peer[] = [];
    for (const n of this.watch.nodes().values()) {
      const name = n.metadata?.name;
      const ip = internalIP(n);
      const podCIDR = n.spec?.podCIDR;
      // A node without a subnet or an address cannot be routed to yet; its next update will.
      if (!name || name === this.opts.node || !ip || !podCIDR) continue;
      peers.push({ name, ip, podCIDR });
    }
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
