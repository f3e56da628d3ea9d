// The shared entry of both plugins: read env and stdin, dispatch on CNI_COMMAND to one
// function per verb, print the result or the spec's error JSON, exit.
import { readFileSync } from 'node:fs';
import { LATEST_CNI_VERSION, SUPPORTED_CNI_VERSIONS, type CniResult } from '../lib/model/cni.js';
import { NetError } from '../lib/net/ip.js';
import { readEnv, type CniEnv, type Verb } from './env.js';
import { CniError, ErrorCode } from './errors.js';
import { log } from './log.js';
import { sniffVersion } from './netconf.js';

export interface VerbContext {
  env: CniEnv;
  stdin: string;
}

/** A verb returns the result to print (ADD, VERSION) or nothing (DEL, CHECK, GC, STATUS). */
export type VerbHandler = (ctx: VerbContext) => CniResult | Record<string, unknown> | void;
export type Handlers = Record<Exclude<Verb, 'VERSION'>, VerbHandler>;

export function toCniError(e: unknown): CniError {
  if (e instanceof CniError) return e;
  if (e instanceof NetError) {
    if (e.netnsNotFound) return new CniError(ErrorCode.InvalidEnvironment, 'the network namespace could not be entered', e.stderr.trim());
    return new CniError(ErrorCode.KernelOperation, 'a kernel operation failed', e.message);
  }
  const errno = (e as NodeJS.ErrnoException | undefined)?.code;
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) return new CniError(ErrorCode.IoFailure, (e as Error).message);
  return new CniError(ErrorCode.Internal, `internal error: ${(e as Error)?.message ?? String(e)}`, (e as Error)?.stack);
}

export function runPlugin(plugin: string, handlers: Handlers): void {
  let stdin = '';
  let version: string = LATEST_CNI_VERSION;
  const started = process.hrtime.bigint();
  try {
    stdin = readFileSync(0, 'utf8');
    version = sniffVersion(stdin) ?? LATEST_CNI_VERSION;
    const env = readEnv(process.env);
    if (env.command === 'VERSION') {
      const answer = (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version) ? version : LATEST_CNI_VERSION;
      process.stdout.write(JSON.stringify({ cniVersion: answer, supportedVersions: SUPPORTED_CNI_VERSIONS }));
      return;
    }
    const out = handlers[env.command]({ env, stdin });
    if (out) process.stdout.write(JSON.stringify(out));
    log('info', `${env.command} done`, { plugin, containerID: env.containerID, ifname: env.ifname, ms: Number(process.hrtime.bigint() - started) / 1e6 });
  } catch (e) {
    const err = toCniError(e);
    const body: Record<string, unknown> = { cniVersion: version, code: err.code, msg: err.message };
    if (err.details) body.details = err.details;
    log('error', err.message, { plugin, command: process.env.CNI_COMMAND, containerID: process.env.CNI_CONTAINERID, code: err.code, details: err.details });
    process.stdout.write(JSON.stringify(body));
    process.exitCode = 1;
  }
}
