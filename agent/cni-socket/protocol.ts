// The CNI fast path, agent side: a unix socket on which the resident node agent serves the
// podnet plugin's verbs in-process, so a pod's ADD or DEL does not pay for starting Node.
//
// The runtime still executes `podnet`, which is a small C program (cni/shim/podnet-shim.c).
// When the network config names `agentSocket`, the shim sends the verb here; when anything
// goes wrong before this side has acknowledged the request, the shim executes the Node
// plugin (`podnet-node`) itself, so the agent is an accelerator, never a dependency.
//
// The parts, one file each in agent/cni-socket/: this file (the protocol, its lines and its
// request), server.ts (startCniSocket: the listener, its stats and its close), connection.ts
// (one connection from request to answer: busy, heartbeats), verb-pool.ts (the verb threads),
// spawn-helper.ts (the process each thread starts its processes through) and socket-path.ts
// (where the socket may live, and listening there).
//
// Protocol, version 1. One request per connection; every line ends with "\n" and holds no
// other newline (JSON escapes them in strings).
//
//   shim → agent   {"v":1,"netns":"net:[4026532301]","heartbeat":true,"env":{"CNI_COMMAND":"ADD",…},"stdin":"<config>"}
//                  v      the protocol version the shim speaks
//                  netns  readlink(/proc/self/ns/net) of the shim: the agent serves a verb only
//                         in its own network namespace, where it does the verb's kernel work
//                  env    the shim's CNI_* variables (the agent keeps those the plugin reads,
//                         cni/env.ts CNI_VARS, and adds the plugin's fixed PATH, as the launcher does)
//                  stdin  the network config, exactly as the runtime gave it
//                  heartbeat  (optional) the shim wants "working" lines while it waits
//
//   agent → shim   {"v":1,"ack":true}                          at once, before any work
//                  ({"v":1,"ack":true,"heartbeat":true} when the request asked for them); or
//                  {"v":1,"ack":false,"error":"<why>"}         and the connection closes: the
//                         shim runs the plugin itself. Reasons: "version mismatch: …" (a request
//                         with "v" other than 1), "netns mismatch: …", "busy: …", "closing: …",
//                         "malformed request: …". "busy" when the verb would wait for a thread
//                         longer than BUSY_AFTER_MS (1 s; more when every verb is slow): the
//                         shim runs the plugin at once.
//   shim → agent   {"v":1,"go":true}                           the shim commits: from here on the
//                         verb is the agent's, and the shim waits for its answer. A shim that had
//                         no acknowledgement in time (1 s) closes the connection instead and
//                         runs the plugin itself; so the agent runs a verb only after a go, and a
//                         verb never runs twice (once late in the agent, once in the plugin).
//   while the verb waits or runs, when the acknowledgement said "heartbeat", every second:
//                  {"v":1,"working":true}
//                         so the shim can tell a slow verb from an agent that is stopped or
//                         wedged (it gives up after 5 s without a line); then, when the verb is done:
//                  {"v":1,"status":S,"stdoutBytes":N,"stderrBytes":M}
//                  followed by N bytes the plugin would have printed on stdout and M bytes
//                  it would have printed on stderr (raw UTF-8, no escaping), then the
//                  connection closes. S is the plugin's exit status. The header is written
//                  in exactly this form and key order, so the shim matches it literally.
//
// The shim keeps its end open until it has the answer: an EOF from it before then means it
// gave up, and a verb of its still waiting in the queue is skipped (one already running is
// finished: a verb is never cut short half-way). Every process a verb starts has a deadline
// (agent/spawn-client.ts CHILD_DEADLINE_MS): a hung `ip` or `nft` fails its verb instead of
// holding a thread for ever.
//
// An old shim (no "heartbeat" in its request) gets the plain acknowledgement and no working
// lines; a new shim with an old agent gets the plain one too, and waits as before.
import { isObject } from '../../cni/fields.js';

export const CNI_PROTOCOL_VERSION = 1;
export const ACK_LINE = `{"v":${CNI_PROTOCOL_VERSION},"ack":true}\n`;
export const HEARTBEAT_ACK_LINE = `{"v":${CNI_PROTOCOL_VERSION},"ack":true,"heartbeat":true}\n`;
export const WORKING_LINE = `{"v":${CNI_PROTOCOL_VERSION},"working":true}\n`;
export const GO_LINE = `{"v":${CNI_PROTOCOL_VERSION},"go":true}\n`;

/** The reasons a request is refused, each counted in the socket's stats. */
export type RefusalKind = 'version' | 'netns' | 'busy' | 'closing' | 'malformed';

export interface Refusal {
  kind: RefusalKind;
  /** the "error" of the refusal line: "<reason>: <what was wrong>" */
  error: string;
}

/** A request line that passed every check of its own (the agent may still refuse it: busy, closing). */
export interface VerbRequest {
  env: Record<string, unknown>;
  stdin: string;
  /** the caller asked for "working" lines while it waits */
  heartbeat: boolean;
}

/** Reads a request line; `ownNetns` is the namespace the agent does its kernel work in. */
export function parseRequest(line: string, ownNetns: string): VerbRequest | Refusal {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    return { kind: 'malformed', error: 'malformed request: not a JSON line' };
  }
  if (!isObject(req)) return { kind: 'malformed', error: 'malformed request: not a JSON object' };
  if (req.v !== CNI_PROTOCOL_VERSION) {
    return {
      kind: 'version',
      error: `version mismatch: this agent speaks CNI socket protocol ${CNI_PROTOCOL_VERSION}, the request says ${JSON.stringify(req.v) ?? 'nothing'}`,
    };
  }
  if (req.netns !== ownNetns) {
    return {
      kind: 'netns',
      error: `netns mismatch: the agent does kernel work in ${ownNetns}, the plugin runs in ${String(req.netns)}`,
    };
  }
  if (!isObject(req.env) || typeof req.stdin !== 'string')
    return { kind: 'malformed', error: 'malformed request: needs "env" (an object) and "stdin" (a string)' };
  return { env: req.env, stdin: req.stdin, heartbeat: req.heartbeat === true };
}

export const isRefusal = (r: VerbRequest | Refusal): r is Refusal => 'kind' in r;

export function refusalLine(error: string): string {
  return JSON.stringify({ v: CNI_PROTOCOL_VERSION, ack: false, error }) + '\n';
}

/** The answer: its header line, then the plugin's stdout and stderr bytes. */
export function answer(status: number, stdout: string, stderr: string): Buffer {
  const out = Buffer.from(stdout, 'utf8');
  const err = Buffer.from(stderr, 'utf8');
  const header = `{"v":${CNI_PROTOCOL_VERSION},"status":${status},"stdoutBytes":${out.length},"stderrBytes":${err.length}}\n`;
  return Buffer.concat([Buffer.from(header), out, err]);
}
