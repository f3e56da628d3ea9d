// Where the agent learns the other nodes: the lab's inventory (which `lab node add|del`
// rewrites), re-read when it changes. In a cluster this becomes the Kubernetes API's
// Nodes (spec.podCIDR, InternalIP); that source is not built yet.
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { LabStatus } from '../lib/model/lab.js';
import { NO_INTENT, type Intent } from './findings.js';

export function intentFromLab(lab: LabStatus, node: string): Intent {
  return {
    routing: lab.routing,
    peers: lab.nodes.filter((n) => n.name !== node).map((n) => ({ name: n.name, ip: n.ip, podCIDR: n.podCIDR })),
    router: lab.router?.ip ?? null,
    clusterNetwork: lab.clusterNetwork,
    expectFirewall: true,
    uplink: 'eth0',
    held: (lab.faults ?? []).filter((f) => f.node === node),
  };
}

export class LabIntentSource {
  private watcher: FSWatcher | null = null;
  private current: Intent = NO_INTENT;
  private text = '';
  /** the whole inventory as last read: where probes find pods on other nodes */
  lab: LabStatus | null = null;

  constructor(
    private readonly inventoryFile: string,
    private readonly node: string,
    private readonly onChange: (intent: Intent) => void,
  ) {}

  get intent(): Intent {
    return this.current;
  }

  /** Re-reads the inventory; calls onChange when the intent differs. */
  refresh(): void {
    let text: string;
    try {
      text = readFileSync(this.inventoryFile, 'utf8');
    } catch {
      return; // between a rename and its target, or the lab is going down: keep the last intent
    }
    if (text === this.text) return;
    this.text = text;
    try {
      this.lab = JSON.parse(text) as LabStatus;
      const next = intentFromLab(this.lab, this.node);
      if (JSON.stringify(next) !== JSON.stringify(this.current)) {
        this.current = next;
        this.onChange(next);
      }
    } catch {
      /* half-written: the rename that follows triggers another read */
    }
  }

  start(): void {
    this.refresh();
    // The inventory is replaced by rename: watch the directory, not the file.
    this.watcher = watch(dirname(this.inventoryFile), (_event, name) => {
      if (!name || name === basename(this.inventoryFile)) this.refresh();
    });
  }

  stop(): void {
    this.watcher?.close();
  }
}
