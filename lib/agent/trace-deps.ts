// How a trace reaches the agents, for the CLI and the dashboard's server alike: each node's
// agent address and the token, and the JSON requests of POST /v1/lookup and /v1/probe. An
// answer other than 200 is an error naming the node and what the agent said; a 200 answer
// is parsed with lib/model/agent-reply-schema.ts, and one that fails is an error naming the
// node and the field. Node only.
import type { TraceDeps } from '../trace/run';
import { agentRequest } from './request';

const LOOKUP_TIMEOUT_MS = 5_000;
/** the agent's own probe deadline is at most 10 s; a little more for the round trip */
const PROBE_TIMEOUT_MS = 15_000;

export function agentReplyError(node: string, status: number, body: unknown): Error {
  return new Error(
    `${node}'s agent answered ${status}: ${(body as { error?: string }).error ?? JSON.stringify(body).slice(0, 200)}`,
  );
}

// The schemas load zod, which every bin/podnet command would otherwise load at start (this
// file is on the CLI's static import graph through `podnet trace`): loaded on first use,
// started as soon as a trace is set up so that it overlaps the agents' first answers.
let replySchemas: Promise<typeof import('../model/agent-reply-schema')> | null = null;
const loadReplySchemas = () => (replySchemas ??= import('../model/agent-reply-schema'));

/** `addressOf` and `token` are asked on each request: the source may change them meanwhile. */
export function agentTraceDeps(
  addressOf: (node: string) => string | null | undefined,
  token: () => string | null,
): TraceDeps {
  void loadReplySchemas().catch(() => {}); // a failure is met again, and reported, at the first reply
  const post = async (node: string, path: string, body: unknown, timeoutMs: number): Promise<unknown> => {
    const address = addressOf(node);
    if (!address) throw new Error(`${node} has no agent`);
    const r = await agentRequest(address, token(), 'POST', path, body, timeoutMs);
    if (r.status !== 200) throw agentReplyError(node, r.status, r.body);
    return r.body;
  };
  return {
    lookup: async (node, lookups) => {
      const body = await post(node, '/v1/lookup', { lookups }, LOOKUP_TIMEOUT_MS);
      const r = (await loadReplySchemas()).parseLookupReply(node, lookups, body);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    },
    probe: async (node, request) => {
      const body = await post(node, '/v1/probe', request, PROBE_TIMEOUT_MS);
      const r = (await loadReplySchemas()).parseProbeReply(node, request.kind, body);
      if (!r.ok) throw new Error(r.error);
      return r.value;
    },
  };
}
