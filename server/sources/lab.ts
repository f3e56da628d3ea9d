// The lab as a cluster: its inventory (lab.json) is the control plane — nodes, their
// subnets and agents, the pods the lab attached — and each node's agent, reached over
// its unix socket with the lab's token, is the data plane. The inventory is watched, so
// `podnet lab pod add` and `node add` reach the page without a reload.
import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { controlPlaneOfLab, type LabStatus } from '../../lib/model/lab';
import { parseLabStatus } from '../../lib/model/lab-schema';
import type { ClusterNode, ClusterPod, ControlPlane } from '../../lib/model/topology';
import { labFiles, labPaths } from '../../lab/paths';
import { AgentPool } from '../agents/agent-pool';
import { StableViews, type ClusterSource, type SourceInputs } from './source';

/** fs.watch misses events on some filesystems: look at the file's mtime this often too */
const POLL_MS = 2_000;

export class LabSource implements ClusterSource {
  private readonly file: string;
  private readonly dir: string;
  private inventory: LabStatus | null = null;
  private mtime = -1;
  private problem: string | null = null;
  private token: string | null = null;
  private pool: AgentPool | null = null;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private changed: () => void = () => {};

  constructor(private readonly labId: string | null) {
    const paths = labPaths(labId);
    this.file = labFiles(paths).inventory;
    this.dir = paths.stateDir;
  }

  async start(changed: () => void): Promise<void> {
    this.changed = changed;
    this.pool = new AgentPool(() => this.token, changed);
    this.reload();
    this.poll = setInterval(() => this.reload(), POLL_MS);
    this.poll.unref();
    this.watchDir();
  }

  read(): SourceInputs {
    const inv = this.inventory;
    const name = this.labId ?? 'lab';
    if (!inv) {
      return {
        info: { source: 'lab', name, routing: 'unknown', podNetwork: null },
        plane: { nodes: [], pods: [], router: null },
        agents: new Map(),
        problems: [this.problem ?? 'no lab inventory yet'],
      };
    }
    return {
      info: { source: 'lab', name, routing: inv.routing, podNetwork: inv.clusterNetwork },
      plane: this.planeOf(inv),
      agents: this.views.keep(this.pool?.views() ?? new Map()),
      problems: this.problem ? [this.problem] : [],
      faults: inv.faults ?? [],
    };
  }

  agentToken(): string | null {
    return this.token;
  }

  private readonly views = new StableViews();
  /** the same objects until the inventory changes, and then the same for every node and
   *  pod that reads the same, so the merge rebuilds only the nodes that changed */
  private plane: { inv: LabStatus; plane: ControlPlane } | null = null;
  private planeOf(inv: LabStatus): ControlPlane {
    if (this.plane?.inv === inv) return this.plane.plane;
    const next = controlPlaneOfLab(inv);
    const old = this.plane?.plane;
    if (old) {
      next.nodes = keepSame(old.nodes, next.nodes);
      next.pods = keepSame(old.pods, next.pods);
      if (JSON.stringify(old.router) === JSON.stringify(next.router)) next.router = old.router;
    }
    this.plane = { inv, plane: next };
    return next;
  }

  async close(): Promise<void> {
    this.watcher?.close();
    if (this.poll) clearInterval(this.poll);
    this.pool?.close();
  }

  private watchDir(): void {
    try {
      this.watcher = watch(this.dir, (_event, filename) => {
        if (filename === 'lab.json' || filename === null) this.reload();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      // No state directory yet: the poll sees the lab when it comes, then we watch.
      this.watcher = null;
    }
  }

  private reload(): void {
    let mtime: number;
    try {
      mtime = statSync(this.file).mtimeMs;
    } catch {
      if (this.inventory !== null || this.problem === null) {
        this.inventory = null;
        this.problem = `no lab at ${this.file}: start one with "podnet lab up${this.labId ? ` --lab-id ${this.labId}` : ''}"`;
        this.pool?.sync(new Map());
        this.changed();
      }
      return;
    }
    if (!this.watcher) this.watchDir();
    if (mtime === this.mtime) return;
    try {
      const parsed = parseLabStatus(JSON.parse(readFileSync(this.file, 'utf8')));
      // from another podnet version, or edited by hand: refused whole, the last good view kept
      if (!parsed.ok) throw new Error(`it is not an inventory podnet reads: ${parsed.error}`);
      const inv = parsed.value;
      this.token = inv.tokenFile ? readFileSync(inv.tokenFile, 'utf8').trim() : null;
      this.inventory = inv;
      this.mtime = mtime;
      this.problem = null;
    } catch (e) {
      // Written by rename, so a half file is not expected; keep the last good view.
      this.problem = `cannot read the lab inventory ${this.file}: ${(e as Error).message}`;
    }
    if (this.inventory) this.pool?.sync(new Map(this.inventory.nodes.map((n) => [n.name, n.agent])));
    this.changed();
  }
}

/** `next` with each element that reads as one of `old`'s replaced by that one (the same
 *  array as `old` when all are). */
function keepSame<T extends ClusterNode | ClusterPod>(old: T[], next: T[]): T[] {
  const byJson = new Map(old.map((x) => [JSON.stringify(x), x]));
  const kept = next.map((x) => byJson.get(JSON.stringify(x)) ?? x);
  return kept.length === old.length && kept.every((x, i) => x === old[i]) ? old : kept;
}
