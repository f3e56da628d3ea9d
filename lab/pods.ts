// lab pod add | del: a pod is a network namespace attached through the node's conflist,
// the way a container runtime attaches a pod sandbox.
import { K8S_NAMESPACE, K8S_POD_NAME, parsePodRef, podRef, type LabPod } from '../lib/model/lab.js';
import { delNetwork } from './cni-runtime.js';
import { deletePod } from './kube-lab.js';
import { netnsExists, withLabLock, writeInventory, type LabInventory } from './inventory.js';
import { addNamespaces, deleteNamespaces, ipBatchIn } from './kernel.js';
import { attachOf, attachPods, LabError, makePod, nodeConflist, requireLabToChange } from './lab.js';
import type { LabPaths } from './paths.js';

export function findPod(inv: LabInventory, ref: string): LabPod {
  const { namespace, name } = parsePodRef(ref);
  const pod = inv.pods.find((p) => p.namespace === namespace && p.name === name);
  if (!pod) throw new LabError(`no pod ${ref} in the lab (pods: ${inv.pods.map(podRef).join(', ') || 'none'})`);
  return pod;
}

export async function podAdd(p: LabPaths, ref: string, nodeName: string): Promise<LabPod> {
  return withLabLock(p, async () => {
    const inv = await requireLabToChange(p);
    const { namespace, name } = parsePodRef(ref);
    if (!K8S_NAMESPACE.test(namespace))
      throw new LabError(`namespace "${namespace}" is not a Kubernetes namespace name (lower case a-z, 0-9, "-")`);
    if (!K8S_POD_NAME.test(name))
      throw new LabError(`pod name "${name}" is not a Kubernetes name (lower case a-z, 0-9, "-", ".")`);
    if (inv.pods.some((x) => x.namespace === namespace && x.name === name))
      throw new LabError(`pod ${ref} already exists in the lab`);
    const node = inv.nodes.find((n) => n.name === nodeName);
    if (!node) throw new LabError(`no node ${nodeName} in the lab (nodes: ${inv.nodes.map((n) => n.name).join(', ')})`);
    const pod = makePod(p, namespace, name, node.name);
    if (netnsExists(pod.netns))
      throw new LabError(
        `namespace ${pod.netns} already exists but is not in this lab's inventory: remove it, or use another pod name`,
      );
    // Recorded first: killed anywhere from here, `lab down` (or the next add) removes it.
    inv.pending = [...(inv.pending ?? []), { netns: pod.netns, pod }];
    writeInventory(p, inv);
    const done = () => (inv.pending = inv.pending!.filter((x) => x.netns !== pod.netns));
    try {
      addNamespaces([pod.netns]);
      ipBatchIn(pod.netns, ['link set lo up']);
      await attachPods(p, inv, [pod], () => {});
    } catch (e) {
      deleteNamespaces([pod.netns]); // the plugin left nothing; the namespace is ours
      done();
      writeInventory(p, inv);
      throw e;
    }
    done();
    inv.pods.push(pod);
    writeInventory(p, inv);
    return pod;
  });
}

export async function podDel(p: LabPaths, ref: string): Promise<LabPod> {
  return withLabLock(p, async () => {
    const inv = await requireLabToChange(p);
    const pod = findPod(inv, ref);
    const node = inv.nodes.find((n) => n.name === pod.node);
    // As on a cluster: the Pod goes from the API, then the runtime tears its network down.
    if (inv.kube) await deletePod(p, pod);
    if (node) await delNetwork(nodeConflist(p, node, inv), attachOf(p, inv, pod));
    deleteNamespaces([pod.netns]);
    inv.pods = inv.pods.filter((x) => x !== pod);
    writeInventory(p, inv);
    return pod;
  });
}
