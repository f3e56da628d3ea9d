// How the dashboard reads what an agent sent it: a snapshot event parsed whole, once, and
// each diff event's changes parsed object by object as they arrive (never the whole
// snapshot again: at 10,000 pods that would cost more than the change). A separate file
// from snapshot.ts and diff.ts so that their importers (lib/trace, the CLI, the agent's
// events) do not load zod. Isomorphic.
import * as z from 'zod';
import { keyOf, type Change, type Collection } from './diff';
import { isIpv6Literal, parseCidr, parseIpv4 } from './ipv4';
import { showValue } from './refs';
import { parseWith, type Parsed } from './schema-issues';
import type {
  Address,
  FirewallSummary,
  Finding,
  Link,
  Neighbour,
  NodeInfo,
  NodeSnapshot,
  PodOnNode,
  Route,
  VethPeer,
} from './snapshot';

// Schemas: what the dashboard accepts from an agent. Each is typed against its interface
// above, so the two cannot drift apart. Unknown fields are dropped (a newer agent may send
// more); a missing or mistyped field is refused, naming it. The values the dashboard
// reasons with (a pod's IP, the node's subnet and gateway) are parsed, not only typed.

export const ipv4 = z
  .string()
  .refine((s) => parseIpv4(s) !== null, { error: (iss) => `must be an IPv4 address, got ${showValue(iss.input)}` });
/** a kernel address: IPv4, or IPv6 (which podnet shows but does not route) */
const ipAddress = z.string().refine((s) => parseIpv4(s) !== null || (isIpv6Literal(s) && /^[0-9a-fA-F:.]+$/.test(s)), {
  error: (iss) => `must be an IP address, got ${showValue(iss.input)}`,
});
export const cidr = z.string().refine((s) => parseCidr(s) !== null, {
  error: (iss) => `must be an IPv4 network such as 10.244.1.0/24, got ${showValue(iss.input)}`,
});
const count = z.number().int().nonnegative();

export const vethPeerSchema: z.ZodType<VethPeer> = z.object({
  netns: z.string().nullable(),
  ifindex: count.nullable(),
  ifname: z.string().nullable(),
  pod: z.string().nullable(),
});

export const linkSchema: z.ZodType<Link> = z.object({
  index: count,
  name: z.string().min(1),
  kind: z.enum(['bridge', 'veth', 'ether', 'loopback', 'vxlan', 'other']),
  mac: z.string().nullable(),
  mtu: count,
  operState: z.string(),
  up: z.boolean(),
  master: z.string().nullable(),
  peer: vethPeerSchema.nullable(),
});

export const addressSchema: z.ZodType<Address> = z.object({
  link: z.string(),
  family: z.enum(['inet', 'inet6']),
  address: ipAddress,
  prefixLen: z.number().int().min(0).max(128),
  scope: z.string(),
});

export const routeSchema: z.ZodType<Route> = z.object({
  dst: z.string().min(1),
  gateway: ipAddress.nullable(),
  dev: z.string().nullable(),
  protocol: z.string(),
  scope: z.string().nullable(),
  ownedByPodnet: z.boolean(),
});

export const neighbourSchema: z.ZodType<Neighbour> = z.object({
  address: ipAddress,
  link: z.string(),
  mac: z.string().nullable(),
  state: z.array(z.string()),
});

export const podOnNodeSchema: z.ZodType<PodOnNode> = z.object({
  namespace: z.string().nullable(),
  name: z.string().nullable(),
  containerID: z.string().min(1),
  ifname: z.string().min(1),
  ip: ipv4.nullable(),
  hostVeth: z.string(),
  netns: z.string(),
  network: z.string(),
});

export const firewallSummarySchema: z.ZodType<FirewallSummary> = z.object({
  forwardPolicy: z.enum(['accept', 'drop', 'unknown']),
  table: z.boolean(),
  masquerade: z.boolean(),
  forwardAccepts: z.boolean(),
  inputRestricted: z.boolean(),
});

export const nodeInfoSchema: z.ZodType<NodeInfo> = z.object({
  name: z.string().min(1),
  addresses: z.array(ipv4),
  podCIDR: cidr.nullable(),
  gateway: ipv4.nullable(),
  bridge: z.string(),
  ipForward: z.boolean(),
  firewall: firewallSummarySchema.nullable(),
  leaseDir: z.string().nullable(),
});

export const findingSchema: z.ZodType<Finding> = z.object({
  id: z.string().min(1),
  severity: z.enum(['error', 'warning']),
  object: z.string(),
  message: z.string(),
  expected: z.string(),
  actual: z.string(),
  fix: z.string().nullable(),
});

export const nodeSnapshotSchema: z.ZodType<NodeSnapshot> = z.object({
  node: nodeInfoSchema,
  links: z.array(linkSchema),
  addresses: z.array(addressSchema),
  routes: z.array(routeSchema),
  neighbours: z.array(neighbourSchema),
  pods: z.array(podOnNodeSchema),
  findings: z.array(findingSchema),
  collectedAt: z.string(),
  collectMs: z.number().nonnegative(),
});

/** A whole snapshot as an agent sent it (GET /v1/snapshot, the `snapshot` event): its
 *  cost grows with the node, so it is parsed once per snapshot, never per change. */
export function parseNodeSnapshot(input: unknown): Parsed<NodeSnapshot> {
  return parseWith(nodeSnapshotSchema, input);
}

const collectionSchemas: Record<Collection, z.ZodType> = {
  links: linkSchema,
  addresses: addressSchema,
  routes: routeSchema,
  neighbours: neighbourSchema,
  pods: podOnNodeSchema,
  findings: findingSchema,
};

const changeEnvelope = z.object({
  collection: z.enum(['node', ...(Object.keys(collectionSchemas) as Collection[])]),
  op: z.enum(['added', 'changed', 'removed']),
  key: z.string(),
  value: z.unknown().optional(),
});

/** A diff event's changes, each changed object parsed with its collection's schema: the
 *  cost is that of the change, not of the node. A change whose key is not its object's
 *  own key is refused too: applied, it would put the object in another's place. */
export function parseChanges(input: unknown): Parsed<Change[]> {
  if (!Array.isArray(input)) return { ok: false, error: `changes must be an array, got ${showValue(input)}` };
  const out: Change[] = [];
  for (let i = 0; i < input.length; i++) {
    const envelope = parseWith(changeEnvelope, input[i], ['changes', i]);
    if (!envelope.ok) return envelope;
    const { collection, op, key, value } = envelope.value;
    const what = `changes[${i}] (${op} ${collection} ${showValue(key)})`;
    if (collection === 'node') {
      if (op !== 'changed' || key !== 'node')
        return { ok: false, error: `${what}: the node's head can only be "changed", with the key "node"` };
      const node = parseWith(nodeInfoSchema, value);
      if (!node.ok) return { ok: false, error: `${what}: ${node.error}` };
      out.push({ collection, op, key, value: node.value });
      continue;
    }
    if (op === 'removed') {
      out.push({ collection, op, key });
      continue;
    }
    const parsed = parseWith(collectionSchemas[collection], value);
    if (!parsed.ok) return { ok: false, error: `${what}: ${parsed.error}` };
    const own = (keyOf[collection] as (x: unknown) => string)(parsed.value);
    if (own !== key) return { ok: false, error: `${what}: the object's own key is ${showValue(own)}` };
    out.push({ collection, op, key, value: parsed.value });
  }
  return { ok: true, value: out };
}
