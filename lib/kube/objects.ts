// Kubernetes Nodes and Pods as the dashboard's control-plane view (ClusterNode, ClusterPod).
// Pure. The shapes below are the few fields read, so both what CoreV1Api's lists give
// (V1Node/V1Pod, deserialized) and what a watch gives (the raw JSON) fit them.
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

/** The annotation flannel puts on every node it manages, naming its backend. */
export const FLANNEL_BACKEND_ANNOTATION = 'flannel.alpha.coreos.com/backend-type';

export const nodeKey = (n: KubeNode): string => n.metadata?.name ?? '';
export const podKeyOf = (p: KubePod): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

export function internalIP(node: KubeNode): string | null {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? null;
}

/** `agentPort` null: the cluster runs no podnet agents. */
export function toClusterNode(node: KubeNode, agentPort: number | null): ClusterNode {
  const ip = internalIP(node);
  const conditions = node.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    ip,
    podCIDR: node.spec?.podCIDR || null,
    // Ready=Unknown means the kubelet stopped reporting: nobody knows, so null
    ready: ready?.status === 'True' ? true : ready?.status === 'False' ? false : null,
    conditions: conditions.filter((c) => c.status !== healthyStatus(c.type)).map(describeCondition),
    agent: agentPort !== null && ip ? `${ip.includes(':') ? `[${ip}]` : ip}:${agentPort}` : null,
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
