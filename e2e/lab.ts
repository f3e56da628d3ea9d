// The lab the end-to-end tests change, driven through bin/podnet as a user drives it,
// and read from the kernel's side (not from the dashboard under test).
import { spawnSync } from 'node:child_process';

export function podnet(args: string[]): string {
  const r = spawnSync('bin/podnet', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`podnet ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

export interface LabView {
  nodes: { name: string; netns: string; ip: string; podCIDR: string }[];
  pods: { name: string; namespace: string; node: string; ip: string | null; netns: string }[];
}

export const labStatus = (labId: string): LabView =>
  JSON.parse(podnet(['lab', 'status', '--lab-id', labId, '--json'])) as LabView;

function ipJson(netns: string, args: string[]): any[] {
  const r = spawnSync('ip', ['-n', netns, '-j', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${netns} ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as any[];
}

/** The host end of a pod's veth: its eth0's peer index, looked up in the node. */
export function hostVethOf(lab: LabView, podName: string): { node: string; netns: string; veth: string } {
  const pod = lab.pods.find((p) => p.name === podName)!;
  const node = lab.nodes.find((n) => n.name === pod.node)!;
  const peerIndex = ipJson(pod.netns, ['link', 'show', 'eth0'])[0].link_index as number;
  const veth = ipJson(node.netns, ['link', 'show']).find((l) => l.ifindex === peerIndex).ifname as string;
  return { node: node.name, netns: node.netns, veth };
}

export function setLink(netns: string, link: string, state: 'up' | 'down'): void {
  const r = spawnSync('ip', ['-n', netns, 'link', 'set', link, state], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip -n ${netns} link set ${link} ${state}: ${r.stderr}`);
}
