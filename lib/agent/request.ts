// One JSON request to a node's agent (unix:/path or host:port), with its bearer token:
// what the dashboard's probe and trace procedures and `podnet trace` use to ask an agent.
// Node only.
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { agentTlsOptions } from './tls';

export type AgentTarget = { socketPath: string } | { host: string; port: number; tls: boolean };

/** "unix:/run/podnet/nodes/node1/agent.sock", "192.168.1.11:9650" or
 *  "https://192.168.1.11:9650" (TLS, lib/agent/tls.ts) → how to reach it. */
export function parseAgentAddress(address: string): AgentTarget {
  if (address.startsWith('unix:')) return { socketPath: address.slice(5) };
  const tls = address.startsWith('https://');
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(tls ? address.slice(8) : address);
  if (!m) throw new Error(`agent address "${address}" is neither unix:/path, host:port nor https://host:port`);
  return { host: m[1]!, port: Number(m[2]), tls };
}

/** An HTTP request to the agent, over TLS when its address says so. */
export function openAgentRequest(
  target: AgentTarget,
  options: RequestOptions,
  onResponse: (res: IncomingMessage) => void,
): ClientRequest {
  if ('socketPath' in target) return httpRequest({ ...options, socketPath: target.socketPath }, onResponse);
  const where = { host: target.host, port: target.port };
  return target.tls
    ? httpsRequest({ ...options, ...where, ...agentTlsOptions() }, onResponse)
    : httpRequest({ ...options, ...where }, onResponse);
}

export interface AgentReply {
  status: number;
  body: unknown;
}

/** A snapshot is the node's whole network: a few KiB per pod (its veth, address,
 *  neighbour, record) and a line per route, so a full node is well under a MiB. 64 MiB
 *  leaves room for nodes with very large route tables and still stops a broken or
 *  hostile peer from growing the dashboard's memory without end. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
/** Every other reply (probes, lookups, errors) is a few KiB: 4 MiB is ample. */
export const MAX_REPLY_BYTES = 4 * 1024 * 1024;

/** The most a reply to `path` may hold. */
export const replyLimit = (path: string): number =>
  path.split('?')[0] === '/v1/snapshot' ? MAX_SNAPSHOT_BYTES : MAX_REPLY_BYTES;

export class ReplyTooLargeError extends Error {}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(n % 2 ** 20 ? 1 : 0)} MiB`;

export function agentRequest(
  address: string,
  token: string | null,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
  maxBytes = replyLimit(path),
): Promise<AgentReply> {
  const target = parseAgentAddress(address);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    // Refused without reading the rest: the connection is closed, nothing more is kept.
    let refused = false;
    const tooLarge = (size: string) => {
      refused = true;
      chunks.length = 0;
      reject(
        new ReplyTooLargeError(
          `the agent at ${address} answered ${method} ${path} with ${size}; a reply may hold ${mib(maxBytes)}: not read further (is that address really a podnet agent?)`,
        ),
      );
      req.destroy();
    };
    const chunks: Buffer[] = [];
    let req: ClientRequest;
    try {
      req = openAgentRequest(
        target,
        {
          method,
          path,
          timeout: timeoutMs,
          headers: {
            ...(token ? { authorization: `Bearer ${token}` } : {}),
            ...(payload ? { 'content-type': 'application/json' } : {}),
          },
        },
        (res) => {
          const declared = Number(res.headers['content-length']);
          if (declared > maxBytes) return tooLarge(`${declared} bytes (its Content-Length)`);
          let size = 0;
          res.on('data', (d: Buffer) => {
            if (refused) return;
            size += d.length;
            if (size > maxBytes) return tooLarge(`more than ${mib(maxBytes)}`);
            chunks.push(d);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
            } catch {
              resolve({ status: res.statusCode ?? 0, body: { error: text.slice(0, 500) } });
            }
          });
        },
      );
    } catch (e) {
      return reject(new Error(`cannot reach the agent at ${address}: ${(e as Error).message}`));
    }
    req.on('timeout', () => req.destroy(new Error(`the agent at ${address} did not answer within ${timeoutMs} ms`)));
    req.on('error', (e) =>
      reject(new Error(`cannot reach the agent at ${address}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)),
    );
    req.end(payload);
  });
}
