// The lab's inventory as the dashboard reads it (lab.json, written by lab/inventory.ts):
// parsed before it is used, so a file from another podnet version, or edited by hand,
// is refused with the field named instead of breaking the merge. A separate file from
// lab.ts, which the CLI loads on every command without zod. Isomorphic.
import * as z from 'zod';
import { FAULT_KINDS, type LabFault, type LabHost, type LabNode, type LabPod, type LabStatus } from './lab';
import { parseWith, type Parsed } from './schema-issues';
import { cidr, ipv4 } from './snapshot-schema';

const hostSchema: z.ZodType<LabHost> = z.object({ ip: ipv4, netns: z.string() });

const nodeSchema: z.ZodType<LabNode> = z.object({
  name: z.string().min(1),
  index: z.number().int().positive(),
  ip: ipv4,
  podCIDR: cidr,
  gateway: ipv4,
  netns: z.string(),
  agent: z.string().nullable(),
});

const podSchema: z.ZodType<LabPod> = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1),
  node: z.string().min(1),
  ip: ipv4.nullable(),
  netns: z.string(),
  containerID: z.string(),
});

const faultSchema: z.ZodType<LabFault> = z.object({
  kind: z.enum(FAULT_KINDS),
  node: z.string(),
  pod: z.string().nullable(),
  target: z.string().nullable(),
  detail: z.string(),
  at: z.string(),
});

export const labStatusSchema: z.ZodType<LabStatus> = z.object({
  labId: z.string().nullable(),
  routing: z.enum(['host-gw', 'router']),
  tokenFile: z.string().nullable(),
  dashboard: z.string().nullable(),
  dashboardTokenFile: z.string().nullable().optional(),
  router: hostSchema.nullable(),
  outside: hostSchema,
  lan: z.object({ cidr, netns: z.string(), bridge: z.string() }),
  clusterNetwork: cidr,
  nodes: z.array(nodeSchema),
  pods: z.array(podSchema),
  faults: z.array(faultSchema).optional(),
  kubernetes: z.object({ url: z.string(), kubeconfig: z.string() }).nullable().optional(),
});

export function parseLabStatus(input: unknown): Parsed<LabStatus> {
  return parseWith(labStatusSchema, input);
}
