// Asks an agent over TLS as the dashboard does (lib/agent/request.ts and the dashboard's
// event stream, with lib/agent/tls.ts's CA and name), from inside the agent's namespace:
// `node --import tsx test/agent-tls-client.ts JSON`. Prints one JSON line of what happened.
import { agentRequest } from '../lib/agent/request.js';
import { configureAgentTls } from '../lib/agent/tls.js';
import { AgentStream } from '../server/agents/agent-stream.js';

const o = JSON.parse(process.argv[2]!) as {
  address: string;
  token: string;
  caFile: string | null;
  serverName?: string;
  stream?: boolean;
};
configureAgentTls(o.caFile, o.serverName);
const outcome = async () => {
  try {
    const r = await agentRequest(o.address, o.token, 'GET', '/v1/snapshot', undefined, 5_000);
    const body = r.body as { snapshot?: { node?: { name?: string } }; error?: string };
    return { status: r.status, node: body.snapshot?.node?.name ?? null, error: body.error ?? null };
  } catch (e) {
    return { status: 0, node: null, error: (e as Error).message };
  }
};
const result: Record<string, unknown> = await outcome();
if (o.stream) {
  // The event stream: connected once it holds the agent's snapshot.
  result.stream = await new Promise((resolve) => {
    let s: AgentStream | null = null;
    const done = (v: unknown) => (s?.close(), resolve(v));
    const timer = setTimeout(() => done({ state: s?.status().state, error: s?.status().error }), 10_000);
    s = new AgentStream(
      o.address,
      () => o.token,
      () => {
        if (s?.snapshot) {
          clearTimeout(timer);
          done({ state: s.status().state, node: s.snapshot.node.name });
        }
      },
    );
  });
}
console.log(JSON.stringify(result));
process.exit(0);
