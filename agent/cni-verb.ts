// One CNI verb served in-process by the node agent: the podnet plugin's own verb functions
// (cni/podnet/handlers.ts) behind the same invokeVerb as the executable (cni/run.ts), so the
// answer — result or error JSON, exit status — is the one the executable would give.
//
// The verb sees what the executable's launcher would leave it (cni/install.ts): the CNI_*
// variables it knows and the fixed PATH_FOR_PLUGINS, nothing of the agent's own
// environment. Its warn/error log lines are collected for the caller's stderr instead of
// going to the agent's, and its log lines say "via": "agent".
import { CNI_VARS, PATH_FOR_PLUGINS } from '../cni/env.js';
import { PODNET_HANDLERS, PODNET_PLUGIN } from '../cni/podnet/handlers.js';
import { invokeVerb } from '../cni/run.js';

export interface ServedVerb {
  status: 0 | 1;
  stdout: string;
  stderr: string;
}

/** The environment the verb runs with, from the variables the caller sent. */
export function verbVars(sent: Readonly<Record<string, unknown>>): Record<string, string> {
  const vars: Record<string, string> = { PATH: PATH_FOR_PLUGINS };
  for (const name of CNI_VARS) {
    const v = sent[name];
    if (typeof v === 'string') vars[name] = v;
  }
  return vars;
}

export function serveVerb(sent: Readonly<Record<string, unknown>>, stdin: string): ServedVerb {
  let stderr = '';
  const r = invokeVerb(PODNET_PLUGIN, PODNET_HANDLERS, {
    vars: verbVars(sent),
    stdin,
    stderr: (line) => void (stderr += line),
    logFields: { via: 'agent' },
  });
  return { ...r, stderr };
}
