// What `podnet trace` needs from a running lab: the inventory as the control plane, each
// agent's snapshot (asked now, over its unix socket with the lab's token), the faults the
// lab holds, and the agents to send lookups and probes to.
import { readFileSync } from 'node:fs';
import { agentRequest } from '../lib/agent/request.js';
import { agentReplyError, agentTraceDeps } from '../lib/agent/trace-deps.js';
import { controlPlaneOfLab } from '../lib/model/lab.js';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import type { AgentStatus } from '../lib/model/topology.js';
import type { TraceInputs } from '../lib/trace/inputs.js';
import type { TraceDeps } from '../lib/trace/run.js';
import type { LabInventory } from './inventory.js';

/** An agent answers a snapshot at once. */
const SNAPSHOT_TIMEOUT_MS = 3_000;

export interface LabTrace {
  inputs: TraceInputs;
  deps: TraceDeps;
}

export async function labTrace(inv: LabInventory): Promise<LabTrace> {
  const token = inv.tokenFile ? readFileSync(inv.tokenFile, 'utf8').trim() : null;
  const address = new Map(inv.nodes.map((n) => [n.name, n.agent]));
  const agents = new Map<string, { status: AgentStatus; snapshot: NodeSnapshot | null }>();
  // Loaded here, not at the top: the schemas bring zod, which no other command needs.
  const { parseNodeSnapshot } = await import('../lib/model/snapshot-schema.js');
  await Promise.all(
    inv.nodes.map(async (n) => {
      const since = new Date().toISOString();
      if (!n.agent)
        return void agents.set(n.name, {
          status: { address: null, state: 'none', since, error: null },
          snapshot: null,
        });
      try {
        const r = await agentRequest(n.agent, token, 'GET', '/v1/snapshot', undefined, SNAPSHOT_TIMEOUT_MS);
        if (r.status !== 200) throw agentReplyError(n.name, r.status, r.body);
        // A snapshot that is not one is that node's problem (unreachable, field named), as on the dashboard.
        const parsed = parseNodeSnapshot((r.body as { snapshot?: unknown } | null)?.snapshot);
        if (!parsed.ok) throw new Error(`the agent on ${n.name} sent an invalid snapshot: ${parsed.error}`);
        agents.set(n.name, { status: { address: n.agent, state: 'live', since, error: null }, snapshot: parsed.value });
      } catch (e) {
        agents.set(n.name, {
          status: { address: n.agent, state: 'unreachable', since, error: (e as Error).message },
          snapshot: null,
        });
      }
    }),
  );
  return {
    inputs: {
      info: { routing: inv.routing, podNetwork: inv.clusterNetwork },
      plane: controlPlaneOfLab(inv),
      agents,
      faults: inv.faults ?? [],
    },
    deps: agentTraceDeps(
      (node) => address.get(node),
      () => token,
    ),
  };
}
