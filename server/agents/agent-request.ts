// One JSON request to a node's agent (unix:/path or host:port), with its bearer token:
// what the dashboard's probe procedure uses to run a ping from a pod's namespace.
import { request } from 'node:http';
import { parseAgentAddress } from './agent-stream';

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
