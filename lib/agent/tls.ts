// How the dashboard (and podnet's commands) reach agents over TLS: an address written
// "https://host:port" is dialled with TLS, its certificate verified against the CA file
// configured here (PODNET_AGENT_CA_FILE) and checked for the name agents' certificates
// carry (PODNET_AGENT_SERVER_NAME, default "podnet-agent": one certificate can serve every
// node of a DaemonSet, whose addresses nobody knows when it is made). The CA file is read
// again when it changes, so a renewed CA needs no restart. Node only.
import { readFileSync } from 'node:fs';
import { fileStamp } from '../file-stamp';

export const DEFAULT_AGENT_SERVER_NAME = 'podnet-agent';

let settings: { caFile: string | null; servername: string } = { caFile: null, servername: DEFAULT_AGENT_SERVER_NAME };
let caCache: { stamp: string; ca: Buffer } | null = null;

export function configureAgentTls(caFile: string | null, servername = DEFAULT_AGENT_SERVER_NAME): void {
  settings = { caFile, servername };
  caCache = null;
}

/** Options for https.request: the CA (absent: the system's), the name to verify. */
export function agentTlsOptions(): { ca?: Buffer; servername: string } {
  const { caFile, servername } = settings;
  if (!caFile) return { servername };
  const stamp = fileStamp(caFile);
  if (stamp === 'missing') throw new Error(`the agents' CA file ${caFile} is missing`);
  // The hint: a path known only at run time, which Turbopack would otherwise answer by
  // tracing the whole project into the build's output.
  if (caCache?.stamp !== stamp) caCache = { stamp, ca: readFileSync(/* turbopackIgnore: true */ caFile) };
  return { ca: caCache.ca, servername };
}
