// Kubernetes Nodes and Pods as the dashboard's control-plane view (ClusterNode, ClusterPod).
// Pure. The shapes below are the few fields read, from the raw JSON of a list or a watch
// event; each object is parsed with its schema as it arrives (lib/kube/watch.ts), so one
// object a newer API or a broken writer got wrong is skipped and named, not a broken list.
import * as z from 'zod';
import { formatCidr, isIpv6Literal, parseCidr, parseIpv4 } from '../model/ipv4';
import { showValue } from '../model/refs';
import { parseWith, type Parsed } from '../model/schema-issues';
import type { ClusterNode, ClusterPod } from '../model/topology';

export interface KubeMeta {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
}

export interface KubeCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface KubeNode {
  metadata?: KubeMeta;
  spec?: { podCIDR?: string };
  status?: {
    addresses?: Array<{ type: string; address: string }>;
    conditions?: KubeCondition[];
  };
}

export interface KubePod {
  metadata?: KubeMeta;
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string };
}

// The API leaves out or nulls what is unset: both read as absent.
const opt = <T extends z.ZodType>(schema: T) => schema.nullish().transform((v) => v ?? undefined);
const stringMap = opt(z.record(z.string(), z.string()));

const metaSchema = z.object({
  name: z.string().min(1),
  namespace: opt(z.string()),
  resourceVersion: opt(z.string()),
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: opt(z.array(z.object({ kind: z.string(), name: z.string(), controller: opt(z.boolean()) }))),
});

const conditionSchema = z.object({
  type: z.string(),
  status: z.string(),
  reason: opt(z.string()),
  message: opt(z.string()),
});

/** A Node's InternalIP and podCIDR are only typed here: nodeRouting says what is wrong
 *  with their text on the node itself, so a node with a bad podCIDR is still shown. */
export const kubeNodeSchema: z.ZodType<KubeNode> = z.object({
  metadata: metaSchema,
  spec: opt(z.object({ podCIDR: opt(z.string()) })),
  status: opt(
    z.object({
      addresses: opt(z.array(z.object({ type: z.string(), address: z.string() }))),
      conditions: opt(z.array(conditionSchema)),
    }),
  ),
});

/** an IPv4 address, or an IPv6 one (an IPv6 cluster's pods) */
const podIP = z.string().refine((s) => s === '' || parseIpv4(s) !== null || IPV6_SHORT.test(s) || IPV6_FULL.test(s), {
  error: (iss) => `${showValue(iss.input)} is not an IP address`,
});

export const kubePodSchema: z.ZodType<KubePod> = z.object({
  metadata: metaSchema.extend({ namespace: z.string().min(1) }),
  spec: opt(z.object({ nodeName: opt(z.string()), hostNetwork: opt(z.boolean()) })),
  status: opt(z.object({ phase: opt(z.string()), podIP: opt(podIP) })),
});

/** Who an object is, as far as it says, for naming one that failed its schema. */
export function looseKey(o: unknown): string {
  const m = (o as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata;
  const name = typeof m?.name === 'string' && m.name ? m.name : '(no name)';
  return typeof m?.namespace === 'string' && m.namespace ? `${m.namespace}/${name}` : name;
}

export const parseKubeNode = (o: unknown): Parsed<KubeNode> => parseWith(kubeNodeSchema, o);
export const parseKubePod = (o: unknown): Parsed<KubePod> => parseWith(kubePodSchema, o);

/** The annotation flannel puts on every node it manages, naming its backend. */
export const FLANNEL_BACKEND_ANNOTATION = 'flannel.alpha.coreos.com/backend-type';

export const nodeKey = (n: KubeNode): string => n.metadata?.name ?? '';
export const podKeyOf = (p: KubePod): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

/** What a Node says about where it is and which pods it routes, parsed into types before
 *  anything uses it: every kubelet may write its own Node's status, so an InternalIP or a
 *  podCIDR is untrusted text until it parses as an IPv4 address or a network (no host
 *  bits). What does not parse is null, and `problems` names it, quoted (a newline shows as
 *  \n, never as a second line). */
export interface NodeRouting {
  ip: string | null;
  /** where its agent is reached: the IPv4 address, or an IPv6 one (hex digits and colons
   *  only) in brackets; null when neither parses */
  agentHost: string | null;
  podCIDR: string | null;
  problems: string[];
}

/** IPv6 literals: with "::" (hex digits and colons only), or eight full groups. Enough to
 *  know the text is an address and nothing else; podnet does not route IPv6. */
const IPV6_SHORT = /^(?=.*::)[0-9a-fA-F:]{2,39}$/;
const IPV6_FULL = /^([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$/;

export function nodeRouting(node: KubeNode): NodeRouting {
  const problems: string[] = [];
  const addresses = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP');
  const v4 = addresses.find((a) => typeof a.address === 'string' && parseIpv4(a.address) !== null);
  if (!v4 && addresses.length) {
    const a = addresses[0]!.address;
    problems.push(
      typeof a === 'string' && isIpv6Literal(a) && !/\s/.test(a)
        ? `InternalIP ${showValue(a)} is IPv6, which podnet does not route to yet`
        : `InternalIP ${showValue(a)} is not an IPv4 address`,
    );
  }
  const text = node.spec?.podCIDR;
  let podCIDR: string | null = null;
  if (text !== undefined && text !== '') {
    const p = typeof text === 'string' ? parseCidr(text) : null;
    if (!p) problems.push(`podCIDR ${showValue(text)} is not an IPv4 network such as 10.244.2.0/24`);
    else if (formatCidr(p) !== text)
      problems.push(`podCIDR ${showValue(text)} has host bits set (the network is ${formatCidr(p)})`);
    else podCIDR = text;
  }
  const v6 = addresses.find(
    (a) => typeof a.address === 'string' && (IPV6_SHORT.test(a.address) || IPV6_FULL.test(a.address)),
  );
  const agentHost = v4 ? v4.address : v6 ? `[${v6.address}]` : null;
  return { ip: v4?.address ?? null, agentHost, podCIDR, problems };
}

/** The Node's first InternalIP that is an IPv4 address; null when it has none. */
export function internalIP(node: KubeNode): string | null {
  return nodeRouting(node).ip;
}

/** A Kubernetes object name of the DNS-1123 subdomain kind, as a Node's must be: lowercase
 *  letters, digits, "-" and ".", labels of 1-63 that start and end with a letter or digit,
 *  253 in all. So no "/", no "..", and never "." or "..": safe as one path component. */
const DNS1123_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export function isDns1123Subdomain(name: string): boolean {
  return name.length > 0 && name.length <= 253 && name.split('.').every((l) => DNS1123_LABEL.test(l));
}

/** The longest unix socket path connect(2) takes (sun_path is 108 bytes with its NUL). */
export const UNIX_SOCKET_PATH_MAX = 107;
const byteLength = (s: string) => new TextEncoder().encode(s).length;

/** What is wrong with an --agent-socket-dir (PODNET_AGENT_SOCKET_DIR), or null: it must be
 *  an absolute path with room under it for <node>/agent.sock in a unix socket address. */
export function agentSocketDirProblem(dir: string): string | null {
  if (!dir.startsWith('/')) return `must be an absolute path, such as /run/podnet/nodes; got ${showValue(dir)}`;
  if (/[\0\n\r]/.test(dir)) return `must be a path without NUL or line breaks; got ${showValue(dir)}`;
  if (byteLength(agentSocketPath(dir, 'n')) > UNIX_SOCKET_PATH_MAX)
    return `is too long: <dir>/<node>/agent.sock must fit in a unix socket address (${UNIX_SOCKET_PATH_MAX} bytes)`;
  return null;
}

/** <dir>/<node name>/agent.sock; the name must be a DNS-1123 subdomain (isDns1123Subdomain). */
export function agentSocketPath(dir: string, nodeName: string): string {
  return `${dir.replace(/\/+$/, '')}/${nodeName}/agent.sock`;
}

/** How the dashboard reaches each node's agent: null, none (the cluster runs no podnet
 *  agents); a port, at the node's InternalIP (https:// when `agentTls`); or `socketDir`,
 *  on the unix socket <socketDir>/<node name>/agent.sock (plain HTTP), whatever the node's
 *  addresses — a lab's agents in network namespaces the dashboard must not route into. */
export type AgentsAt = number | null | { socketDir: string };

export function toClusterNode(node: KubeNode, agents: AgentsAt, agentTls = false): ClusterNode {
  const { ip, agentHost, podCIDR, problems } = nodeRouting(node);
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  const name = node.metadata?.name ?? '';
  let agent: string | null = null;
  if (typeof agents === 'number') {
    // Only a parsed address receives the agents' token.
    agent = agentHost ? `${agentTls ? 'https://' : ''}${agentHost}:${agents}` : null;
  } else if (agents !== null) {
    // The name becomes a path component: only a name Kubernetes itself would accept.
    const path = agentSocketPath(agents.socketDir, name);
    if (!isDns1123Subdomain(name))
      problems.push(
        `node name ${showValue(name)} is not a DNS-1123 subdomain (lowercase letters, digits, "-" and "."), so it names no agent socket`,
      );
    else if (byteLength(path) > UNIX_SOCKET_PATH_MAX)
      problems.push(
        `its agent socket ${showValue(path)} is longer than a unix socket address can be (${UNIX_SOCKET_PATH_MAX} bytes)`,
      );
    else agent = `unix:${path}`;
  }
  return {
    name,
    ip,
    podCIDR,
    // Ready=Unknown means the kubelet stopped reporting: nobody knows, so null
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : null,
    conditions: [
      ...conditions.filter((c) => c.status !== healthyStatus(c.type)).map(describeCondition),
      ...problems.map((p) => `refused by podnet: ${p}`),
    ],
    agent,
  };
}

// Ready is the one condition that should be True; the kubelet's pressure conditions,
// NetworkUnavailable and node-problem-detector's conditions are problems when True.
const healthyStatus = (type: string) => (type === 'Ready' ? 'True' : 'False');

function describeCondition(c: KubeCondition): string {
  const why = c.message || c.reason;
  return why ? `${c.type}=${c.status}: ${why}` : `${c.type}=${c.status}`;
}

export function toClusterPod(pod: KubePod): ClusterPod {
  const refs = pod.metadata?.ownerReferences ?? [];
  const owner = refs.find((r) => r.controller) ?? refs[0];
  return {
    namespace: pod.metadata?.namespace ?? '',
    name: pod.metadata?.name ?? '',
    node: pod.spec?.nodeName || null,
    ip: pod.status?.podIP || null,
    phase: pod.status?.phase || 'Unknown',
    hostNetwork: pod.spec?.hostNetwork ?? false,
    labels: { ...(pod.metadata?.labels ?? {}) },
    owner: owner ? `${owner.kind}/${owner.name}` : null,
  };
}
