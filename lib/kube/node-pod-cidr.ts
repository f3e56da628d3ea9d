// The install step's one question to the API: this node's pod subnet (spec.podCIDR), as
// flannel's install-cni asks it. A DaemonSet's init container may start before the
// controller-manager has given the node a podCIDR (or before the kubelet has registered the
// node at all), so it follows that one Node — a list and a watch with the field selector
// metadata.name=NODE, through the same reflector as the agent's (lib/kube/watch.ts: re-list
// on 410, back-off, schema per object) — and answers when the podCIDR appears. While it
// waits it says why, at most every WAIT_NOTICE_MS (and at once when the reason changes).
import type { KubeConfig } from '@kubernetes/client-node';
import { nodeRouting } from './objects';
import { KubeWatch } from './watch';

export const WAIT_NOTICE_MS = 10_000;

export class NodePodCidrError extends Error {
  constructor(
    message: string,
    /** 'invalid': the node's podCIDR is not a usable IPv4 network; 'timeout': none in time */
    readonly kind: 'invalid' | 'timeout',
  ) {
    super(message);
  }
}

export interface NodePodCidr {
  /** an IPv4 network as the API gave it (lib/kube/objects.ts's nodeRouting checked it) */
  podCIDR: string;
  /** how long it waited for it, ms */
  waitedMs: number;
}

export interface WaitOptions {
  /** ms to wait for a podCIDR; undefined: forever (an init container's way); 0: look once */
  timeoutMs?: number;
  /** a sentence on why it still waits */
  notice: (why: string) => void;
  /** overrides WAIT_NOTICE_MS (tests) */
  noticeEveryMs?: number;
}

export const NO_POD_CIDR_HINT = 'the controller-manager assigns one when it runs with --allocate-node-cidrs';

/** Resolves with the node's podCIDR once it has one; rejects with NodePodCidrError when the
 *  value is not an IPv4 network (at once: waiting would not mend it) or when timeoutMs passes. */
export async function waitForNodePodCidr(kc: KubeConfig, node: string, opts: WaitOptions): Promise<NodePodCidr> {
  const started = Date.now();
  const every = opts.noticeEveryMs ?? WAIT_NOTICE_MS;
  let lastNotice: { why: string; at: number } | null = null;
  let settle: ((r: { ok: NodePodCidr } | { err: Error }) => void) | null = null;
  const outcome = new Promise<{ ok: NodePodCidr } | { err: Error }>((resolve) => (settle = resolve));
  let listed = false;

  /** Why there is no answer yet, or the answer. */
  const look = (): { ok: NodePodCidr } | { err: Error } | { why: string } => {
    const problems = watch.problems();
    const n = watch.nodes().get(node);
    if (!n) {
      if (problems.length > 0) return { why: problems.join('; ') };
      return { why: `there is no node ${node} yet (the kubelet registers it when it starts)` };
    }
    if (!n.spec?.podCIDR) return { why: NO_POD_CIDR_HINT };
    // the agent's rule for every node's podCIDR (an IPv4 network, no host bits), and its words
    const r = nodeRouting({ spec: n.spec });
    if (!r.podCIDR) {
      return { err: new NodePodCidrError(`node ${node}: ${r.problems.join('; ')}`, 'invalid') };
    }
    return { ok: { podCIDR: r.podCIDR, waitedMs: Date.now() - started } };
  };

  const check = () => {
    if (!listed || !settle) return;
    const r = look();
    if ('why' in r) {
      const now = Date.now();
      if (!lastNotice || lastNotice.why !== r.why || now - lastNotice.at >= every) {
        lastNotice = { why: r.why, at: now };
        opts.notice(`waiting for node ${node} to get a podCIDR (${r.why})`);
      }
      return;
    }
    settle(r);
  };

  const watch = new KubeWatch(kc, check, ['nodes'], { nodeFieldSelector: `metadata.name=${node}` });
  // the watch only calls back on a change: the notice repeats from a timer while nothing moves
  const ticker = setInterval(check, Math.min(every, 1_000));
  let timer: NodeJS.Timeout | null = null;
  try {
    await watch.start();
    listed = true;
    check();
    if (opts.timeoutMs !== undefined) {
      const left = Math.max(0, opts.timeoutMs - (Date.now() - started));
      timer = setTimeout(() => {
        const r = look();
        const why = 'why' in r ? r.why : 'it has none';
        settle?.({
          err: new NodePodCidrError(
            `node ${node} has no podCIDR after ${Math.round(opts.timeoutMs! / 1000)} s (${why})`,
            'timeout',
          ),
        });
      }, left);
    }
    const r = await outcome;
    if ('err' in r) throw r.err;
    return r.ok;
  } finally {
    settle = null;
    clearInterval(ticker);
    if (timer) clearTimeout(timer);
    await watch.close();
  }
}
