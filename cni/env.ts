// The CNI_* variables a runtime sets, validated per verb (CNI spec 1.1, "Parameters").
import { IFNAME_RULE, validIfname } from '../lib/model/ifname.js';
import { CniError, ErrorCode } from './errors.js';
import { NAME_PATTERN } from './fields.js';

export type Verb = 'ADD' | 'DEL' | 'CHECK' | 'VERSION' | 'GC' | 'STATUS';
const VERBS: readonly Verb[] = ['ADD', 'DEL', 'CHECK', 'VERSION', 'GC', 'STATUS'];

/** The variables a runtime passes that the plugins read; the installed launcher keeps only
 *  these (and PATH_FOR_PLUGINS), and so does the node agent for a verb it serves. */
export const CNI_VARS = ['CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_ARGS', 'CNI_PATH'] as const;

/** The PATH the plugins run with, whatever the runtime's: set by the launcher (and the agent). */
export const PATH_FOR_PLUGINS = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Env = Readonly<Record<string, string | undefined>>;

export interface CniEnv {
  command: Verb;
  containerID: string;
  netns: string;
  ifname: string;
  path: string[];
  args: Map<string, string>;
  /** the whole environment the verb was given: what a delegated plugin inherits */
  vars: Env;
}

function invalidEnv(msg: string): CniError {
  return new CniError(ErrorCode.InvalidEnvironment, msg);
}

function required(env: Env, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw invalidEnv(`${name} is not set: a runtime must set it for ${env.CNI_COMMAND}`);
  return v;
}

/** CNI_ARGS is "K1=V1;K2=V2". podnet reads the keys it knows and ignores the rest. */
export function parseCniArgs(text: string | undefined): Map<string, string> {
  const args = new Map<string, string>();
  if (!text) return args;
  for (const pair of text.split(';')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw invalidEnv(`CNI_ARGS entry "${pair}" is not KEY=VALUE (CNI_ARGS="${text}")`);
    args.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  return args;
}

export { validIfname };

export function readEnv(env: Env): CniEnv {
  const command = env.CNI_COMMAND;
  if (command === undefined || command === '')
    throw invalidEnv('CNI_COMMAND is not set: expected one of ' + VERBS.join(', '));
  if (!VERBS.includes(command as Verb))
    throw invalidEnv(`CNI_COMMAND "${command}" is not a CNI verb: expected one of ${VERBS.join(', ')}`);
  const verb = command as Verb;
  const needsContainer = verb === 'ADD' || verb === 'DEL' || verb === 'CHECK';
  const containerID = needsContainer ? required(env, 'CNI_CONTAINERID') : (env.CNI_CONTAINERID ?? '');
  if (needsContainer && !NAME_PATTERN.test(containerID)) {
    throw invalidEnv(
      `CNI_CONTAINERID "${containerID}" has characters outside [a-zA-Z0-9_.-] or starts with one of "_.-"`,
    );
  }
  // DEL must work when the namespace is already gone, so CNI_NETNS is optional there.
  const netns = verb === 'ADD' || verb === 'CHECK' ? required(env, 'CNI_NETNS') : (env.CNI_NETNS ?? '');
  // The path reaches commands only as argv (nsenter --net=PATH, ip -n NAME) or as an open
  // file descriptor (ip … netns /proc/PID/fd/N), never as text: any absolute path will do.
  if ((verb === 'ADD' || verb === 'CHECK') && (!netns.startsWith('/') || /[\x00-\x1f\x7f]/.test(netns))) {
    throw invalidEnv(`CNI_NETNS ${JSON.stringify(netns)} is not an absolute path without control characters`);
  }
  const ifname = needsContainer ? required(env, 'CNI_IFNAME') : (env.CNI_IFNAME ?? '');
  if (needsContainer && !validIfname(ifname)) {
    throw invalidEnv(`CNI_IFNAME ${JSON.stringify(ifname)} is not a valid interface name (${IFNAME_RULE})`);
  }
  const pathText = verb === 'VERSION' ? (env.CNI_PATH ?? '') : required(env, 'CNI_PATH');
  return {
    command: verb,
    containerID,
    netns,
    ifname,
    path: pathText.split(':').filter(Boolean),
    args: parseCniArgs(env.CNI_ARGS),
    vars: env,
  };
}
