// The agents of every node the control plane knows: one AgentStream per node, opened
// when a node appears (or its address changes) and closed when it goes. A node without
// an agent address is shown as having none, not as an error.
import type { AgentView } from '../sources/source';
import { AgentStream } from './agent-stream';

export class AgentPool {
  private streams = new Map<string, AgentStream>();
  private without = new Map<string, string>();

  constructor(
    private readonly token: () => string | null,
    private readonly changed: () => void,
  ) {}

  /** node name → agent address (null: the node has none) */
  sync(targets: Map<string, string | null>): void {
    for (const [node, stream] of this.streams) {
      if (targets.get(node) !== stream.address) {
        stream.close();
        this.streams.delete(node);
      }
    }
    for (const node of this.without.keys())
      if (!targets.has(node) || targets.get(node) !== null) this.without.delete(node);
    for (const [node, address] of targets) {
      if (address === null) {
        if (!this.without.has(node)) this.without.set(node, new Date().toISOString());
      } else if (!this.streams.has(node)) this.streams.set(node, new AgentStream(address, this.token, this.changed));
    }
  }

  views(): Map<string, AgentView> {
    const out = new Map<string, AgentView>();
    for (const [node, s] of this.streams) out.set(node, { status: s.status(), snapshot: s.snapshot });
    for (const [node, since] of this.without)
      out.set(node, { status: { address: null, state: 'none', since, error: null }, snapshot: null });
    return out;
  }

  close(): void {
    for (const s of this.streams.values()) s.close();
    this.streams.clear();
    this.without.clear();
  }
}
