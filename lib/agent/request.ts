// One JSON request to a node's agent (unix:/path or host:port), with its bearer token:
// what the dashboard's probe and trace procedures and `podnet trace` use to ask an agent.
// Node only.
import { request } from 'node:http';

export type AgentTarget = { socketPath: string } | { host: string; port: number };

/** "unix:/run/podnet/nodes/node1/agent.sock" or "192.168.1.11:9650" → how to reach it. */
export function parseAgentAddress(address: string): AgentTarget {
  if (address.startsWith('unix:')) return { socketPath: address.slice(5) };
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(address);
  if (!m) throw new Error(`agent address "${address}" is neither unix:/path nor host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export interface AgentReply {
  status: number;
  body: unknown;
}

export function agentRequest(address: string, token: string | null, method: string, path: string, body: unknown, timeoutMs: number): Promise<AgentReply> {
  const target = parseAgentAddress(address);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      { ...target, method, path, timeout: timeoutMs, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(payload ? { 'content-type': 'application/json' } : {}) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: { error: text.slice(0, 500) } });
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`the agent at ${address} did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) => reject(new Error(`cannot reach the agent at ${address}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end(payload);
  });
}
