// How the dashboard's server reaches the agents for a trace or the matrix: the address of
// each node's agent from the source (the lab's unix sockets, InternalIP:9650 on a cluster),
// the source's token, and the same JSON requests the CLI sends.
import { agentRequest } from '../../lib/agent/request';
import type { LookupResult } from '../../lib/model/trace';
import type { ProbeResult } from '../../lib/model/probe';
import type { TraceDeps } from '../../lib/trace/run';
import type { ClusterView } from '../topology/cluster-view';

const LOOKUP_TIMEOUT_MS = 5_000;
/** the agent's own deadline is at most 10 s; a little more for the round trip */
const PROBE_TIMEOUT_MS = 15_000;

export function agentDeps(view: ClusterView): TraceDeps {
  const post = async (node: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> => {
    const address = view.traceInputs().agents.get(node)?.status.address;
    if (!address) throw new Error(`${node} has no agent`);
    const r = await agentRequest(address, view.agentToken(), 'POST', path, body, timeoutMs);
    if (r.status !== 200) throw new Error(`${node}'s agent answered ${r.status}: ${(r.body as { error?: string }).error ?? ''}`);
    return r.body;
  };
  return {
    lookup: async (node, lookups) => ((await post(node, '/v1/lookup', { lookups }, LOOKUP_TIMEOUT_MS)) as { results: LookupResult[] }).results,
    probe: async (node, request) => (await post(node, '/v1/probe', request, PROBE_TIMEOUT_MS)) as ProbeResult,
  };
}
