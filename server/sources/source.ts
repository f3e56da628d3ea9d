// What every cluster source gives the dashboard's server: the control plane's view
// (nodes, pods), each node's agent view (its snapshot and whether it answers), and a
// signal when either changed. The lab, the Kubernetes API and the synthetic generator
// differ only in where these come from; server/topology/merge.ts makes one Topology of them.
import type { AgentStatus, ClusterInfo, ControlPlane } from '../../lib/model/topology';
import type { LabFault } from '../../lib/model/lab';
import type { NodeSnapshot } from '../../lib/model/snapshot';

export interface AgentView {
  status: AgentStatus;
  /** the last snapshot the agent gave; kept while it is unreachable (shown as stale) */
  snapshot: NodeSnapshot | null;
}

export interface SourceInputs {
  info: Omit<ClusterInfo, 'readOnly'>;
  plane: ControlPlane;
  /** by node name */
  agents: Map<string, AgentView>;
  /** why the control plane's view cannot be trusted right now (API unreachable, 403…) */
  problems: string[];
  /** faults a lab holds on purpose (`podnet lab fault`): a trace says so */
  faults?: LabFault[];
}

export interface ClusterSource {
  /** starts listing and watching; `changed` is called (possibly often) after each change */
  start(changed: () => void): Promise<void>;
  read(): SourceInputs;
  /** the bearer token this source's agents expect (for probes); null: none */
  agentToken(): string | null;
  close(): Promise<void>;
}

/** Keeps a pool's agent views the same objects while their snapshot is the same object
 *  and their status says the same: a pool builds new views on every read, and the merge
 *  rebuilds a node whose view is not the one it had. */
export class StableViews {
  private last = new Map<string, { view: AgentView; status: string }>();

  keep(views: Map<string, AgentView>): Map<string, AgentView> {
    const next = new Map<string, { view: AgentView; status: string }>();
    const out = new Map<string, AgentView>();
    let asGiven = true;
    for (const [name, view] of views) {
      const old = this.last.get(name);
      let kept = old;
      if (!old || old.view !== view) {
        const status = JSON.stringify(view.status);
        kept = old && old.view.snapshot === view.snapshot && old.status === status ? old : { view, status };
      }
      next.set(name, kept!);
      out.set(name, kept!.view);
      if (kept!.view !== view) asGiven = false;
    }
    this.last = next;
    return asGiven ? views : out;
  }
}
