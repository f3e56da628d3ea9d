// The dashboard server's configuration, from the environment, validated once at start:
// a wrong value stops the server with a message naming the variable, the value and what
// it accepts, instead of a page that half works.
import { z } from 'zod';
import { agentSocketDirProblem } from '../lib/kube/objects';
import { isHostName } from '../lib/model/hostname';

const bool = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .default('')
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

const schema = z.object({
  PODNET_SOURCE: z.enum(['lab', 'kubernetes', 'synthetic']).default('lab'),
  /** the lab to show (as --lab-id); empty: the default lab */
  PODNET_LAB: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,11}$/)
    .optional(),
  /** kubernetes: a kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or in-cluster */
  PODNET_KUBECONFIG: z.string().min(1).optional(),
  /** kubernetes: the port agents listen on at each node's InternalIP; "off" for none */
  PODNET_AGENT_PORT: z.union([z.literal('off'), z.coerce.number().int().min(1).max(65535)]).default(9650),
  /** kubernetes: the file holding the agents' bearer token */
  PODNET_AGENT_TOKEN_FILE: z.string().min(1).optional(),
  /** kubernetes: agents serve TLS with certificates this CA signed (PEM); unset: plain HTTP */
  PODNET_AGENT_CA_FILE: z.string().min(1).optional(),
  /** kubernetes: node N's agent is on the unix socket <dir>/N/agent.sock (plain HTTP)
   *  instead of at InternalIP:PODNET_AGENT_PORT, which then does not apply (a lab's agents,
   *  in network namespaces); absolute; not with PODNET_AGENT_CA_FILE */
  PODNET_AGENT_SOCKET_DIR: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const problem = v === undefined ? null : agentSocketDirProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  /** kubernetes: the name the agents' certificates carry */
  PODNET_AGENT_SERVER_NAME: z
    .string()
    .regex(/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/)
    .default('podnet-agent'),
  /** synthetic: NODESxPODS, e.g. 100x10000 (for the benchmark and demos) */
  PODNET_SYNTHETIC: z
    .string()
    .regex(/^\d{1,4}x\d{1,6}$/)
    .default('3x6'),
  /** a file holding the token the page asks for; unset: no token */
  PODNET_DASHBOARD_TOKEN_FILE: z.string().min(1).optional(),
  /** the address the server listens on (--host): a name here is also an allowed Host */
  PODNET_HOST: z.string().min(1).optional(),
  /** more host names requests may address (the Service's, an Ingress's): space or comma separated */
  PODNET_ALLOWED_HOSTS: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(/[\s,]+/)
          .filter(Boolean)
          .every(isHostName),
      {
        message: 'must be host names such as podnet.example.com (no scheme, no port), separated by spaces or commas',
      },
    ),
  /** probes and traces one caller may start per minute (0: no limit) */
  PODNET_PROBE_RATE: z.coerce.number().int().min(0).max(100_000).default(120),
  /** probes off; the page says so */
  PODNET_READ_ONLY: bool,
  /** who may frame the page: space-separated origins ("https://portal.example.com"); default none */
  PODNET_FRAME_ANCESTORS: z
    .string()
    .default('')
    .refine(
      (v) =>
        v
          .split(/\s+/)
          .filter(Boolean)
          .every((o) => /^(https?:\/\/[A-Za-z0-9.*-]+(:\d+)?|'self')$/.test(o)),
      {
        message: "must be space-separated origins such as https://portal.example.com or 'self'",
      },
    ),
});

// Settings that do not go together.
const checked = schema.superRefine((c, ctx) => {
  if (c.PODNET_AGENT_SOCKET_DIR !== undefined && c.PODNET_AGENT_CA_FILE !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['PODNET_AGENT_SOCKET_DIR'],
      message:
        'agents on unix sockets speak plain HTTP: PODNET_AGENT_CA_FILE (--agent-ca-file) does not go with PODNET_AGENT_SOCKET_DIR (--agent-socket-dir); give one of them',
    });
});

export type DashboardConfig = z.infer<typeof schema>;

export class ConfigError extends Error {}

export function loadConfig(env: Record<string, string | undefined> = process.env): DashboardConfig {
  const result = checked.safeParse(
    Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('PODNET_') && v !== undefined)),
  );
  if (!result.success) {
    const lines = result.error.issues.map(
      (i) => `${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])] ?? '')}: ${i.message}`,
    );
    throw new ConfigError(`podnet dashboard: bad configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
