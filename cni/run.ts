// The shared entry of both plugins: read env and stdin, dispatch on CNI_COMMAND to one
// function per verb, print the result or the spec's error JSON, exit. invokeVerb is that
// without the process around it, for the node agent, which serves verbs in-process.
import { readFileSync, writeSync } from 'node:fs';
import { LATEST_CNI_VERSION, SUPPORTED_CNI_VERSIONS, type CniResult } from '../lib/model/cni.js';
import { NetError } from '../lib/net/ip.js';
import { processStartTime } from '../lib/proc/identity.js';
import { readEnv, type CniEnv, type Verb } from './env.js';
import { CniError, ErrorCode } from './errors.js';
import { beginLog, log } from './log.js';
import { sniffVersion } from './netconf.js';

export interface VerbContext {
  env: CniEnv;
  stdin: string;
  /** when the caller began this verb (ms since the epoch): GC judges only what is older */
  startedAt: number;
  /** `fn` runs once the verb's result is out (printed by the plugin; returned to the agent) */
  afterResult(fn: () => void): void;
}

/** A verb returns the result to print (ADD, VERSION) or nothing (DEL, CHECK, GC, STATUS). */
export type VerbHandler = (ctx: VerbContext) => CniResult | Record<string, unknown> | void;
export type Handlers = Record<Exclude<Verb, 'VERSION'>, VerbHandler>;

export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof NetError) {
    if (e.netnsNotFound)
      return new CniError(ErrorCode.InvalidEnvironment, 'the network namespace could not be entered', e.stderr.trim());
    return new CniError(ErrorCode.KernelOperation, 'a kernel operation failed', e.message);
  }
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno))
    return new CniError(ErrorCode.IoFailure, (e as Error).message);
  return new CniError(ErrorCode.Internal, `internal error: ${(e as Error)?.message ?? String(e)}`, (e as Error)?.stack);
}

export interface InvokeOptions {
  /** the environment of the verb: the CNI_* variables (and what a delegated plugin inherits) */
  vars: Readonly<Record<string, string | undefined>>;
  /** the network configuration, or a function reading it (its failure is reported like any other) */
  stdin: string | (() => string);
  /** where warn/error log lines go besides <stateDir>/cni.log (default: this process's stderr) */
  stderr?: (line: string) => void;
  /** fields added to every log line of this invocation */
  logFields?: Record<string, unknown>;
  /** when the caller began the verb (ms since the epoch); default: now */
  startedAt?: number;
  /** hand the verb's afterResult work back in the outcome instead of running it before
   *  returning: for a caller that prints the result itself */
  holdAfterResult?: boolean;
}

/** What a plugin process would end with: its exit status and what it printed on stdout. */
export interface VerbOutcome {
  status: 0 | 1;
  stdout: string;
  /** with holdAfterResult: run it once stdout is written */
  afterResult?: () => void;
}

function runAfterResult(steps: (() => void)[]): void {
  for (const step of steps) {
    try {
      step();
    } catch (e) {
      log('warn', `after the result: ${(e as Error).message}`);
    }
  }
}

/**
 * One verb, start to finish, as a plugin process runs it: read the environment and stdin,
 * dispatch on CNI_COMMAND, and turn the result or any error into what the plugin prints
 * (the result, or the spec's error JSON) and its exit status. The plugin executables
 * (runPlugin) and the node agent's CNI socket (agent/cni-socket/) both call this, so a
 * verb served by the agent answers exactly as the executable would.
 */
export function invokeVerb(plugin: string, handlers: Handlers, o: InvokeOptions): VerbOutcome {
  let stdin = '';
  let version: string = LATEST_CNI_VERSION;
  const started = process.hrtime.bigint();
  beginLog(o.stderr, o.logFields);
  try {
    stdin = typeof o.stdin === 'string' ? o.stdin : o.stdin();
    version = sniffVersion(stdin) ?? LATEST_CNI_VERSION;
    const env = readEnv(o.vars);
    if (env.command === 'VERSION') {
      const answer = (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version) ? version : LATEST_CNI_VERSION;
      return { status: 0, stdout: JSON.stringify({ cniVersion: answer, supportedVersions: SUPPORTED_CNI_VERSIONS }) };
    }
    const after: (() => void)[] = [];
    const out = handlers[env.command]({
      env,
      stdin,
      startedAt: o.startedAt ?? Date.now(),
      afterResult: (fn) => void after.push(fn),
    });
    log('info', `${env.command} done`, {
      plugin,
      containerID: env.containerID,
      ifname: env.ifname,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    });
    const stdout = out ? JSON.stringify(out) : '';
    if (o.holdAfterResult) return { status: 0, stdout, afterResult: () => runAfterResult(after) };
    runAfterResult(after);
    return { status: 0, stdout };
  } catch (e) {
    const err = toCniError(e);
    const body: Record<string, unknown> = { cniVersion: version, code: err.code, msg: err.message };
    if (err.details) body.details = err.details;
    log('error', err.message, {
      plugin,
      command: o.vars.CNI_COMMAND,
      containerID: o.vars.CNI_CONTAINERID,
      code: err.code,
      details: err.details,
    });
    return { status: 1, stdout: JSON.stringify(body) };
  }
}

/** When the runtime started this process (its fork, before the execs down to node), in ms
 *  since the epoch, rounded up: /proc gives the start in clock ticks (10 ms) since boot, set
 *  against the monotonic clock (which counts from boot where nothing suspends). A result the
 *  runtime could have read before it forked this process is older than this. */
function processStartedAt(): number {
  const ticks = Number(processStartTime(process.pid));
  if (!Number.isFinite(ticks)) return Date.now();
  const sinceStart = Number(process.hrtime.bigint() / 1_000_000n) - (ticks + 1) * 10;
  return Date.now() - Math.max(sinceStart, 0);
}

/** The entry of a plugin executable: one verb from this process's environment and stdin. */
export function runPlugin(plugin: string, handlers: Handlers): void {
  const r = invokeVerb(plugin, handlers, {
    vars: process.env,
    stdin: () => readFileSync(0, 'utf8'),
    startedAt: processStartedAt(),
    holdAfterResult: true,
  });
  // Synchronously, all of it: the result is out before afterResult runs.
  const out = Buffer.from(r.stdout);
  for (let sent = 0; sent < out.length;) sent += writeSync(1, out, sent);
  r.afterResult?.();
  if (r.status !== 0) process.exitCode = r.status;
}
