'use client';
// Which nodes' pods a page loads when it holds a big cluster as summaries
// (use-topology.ts): the selection's node first (a deep link to a pod whose node is not
// loaded asks the server where it is), the ones the page always shows (the embed's
// node), then what the graph draws open (in view when zoomed in, clicked, on a traced
// path). With the whole topology held, this does nothing.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Selection } from '../../lib/model/topology';
import type { TopologyFeed } from './use-topology';

export function useOpenNodes(
  feed: TopologyFeed,
  selection: Selection | null,
  always: readonly string[] = [],
): {
  onGraphOpen: (nodes: string[]) => void;
  /** the selection's pods (or the node's routes and details) are on their way: its node
   *  is being located or loaded. Always false while the whole topology is held. */
  pending: boolean;
} {
  const { topology, summary, open, locate } = feed;
  const partial = summary !== null;
  const [graphOpen, setGraphOpen] = useState<string[]>([]);
  const [located, setLocated] = useState<{ pod: string; node: string | null } | null>(null);

  const podKey = selection?.kind === 'pod' ? selection.key : null;
  const loadedNode = podKey && topology ? (topology.pods.find((p) => p.key === podKey)?.node ?? null) : null;
  useEffect(() => {
    if (!partial || !podKey || loadedNode || located?.pod === podKey) return;
    let stale = false;
    void locate(podKey).then((node) => {
      if (!stale) setLocated({ pod: podKey, node });
    });
    return () => {
      stale = true;
    };
  }, [partial, podKey, loadedNode, located, locate]);

  const selNode =
    selection?.kind === 'node'
      ? selection.key
      : (loadedNode ?? (located && located.pod === podKey ? located.node : null));
  const key = [selNode ?? '', ...always, ...graphOpen].join('\n');
  useEffect(() => {
    if (!partial) return;
    open(key.split('\n').filter(Boolean));
  }, [partial, key, open]);

  // What the graph opens is asked for at once, not after the page's next render: a click
  // on a box re-renders the side panel too, and the pods should not wait for that.
  const first = useRef<{ partial: boolean; head: string[] }>({ partial, head: [] });
  useEffect(() => {
    first.current = { partial, head: [selNode ?? '', ...always] };
  });
  const onGraphOpen = useCallback(
    (nodes: string[]) => {
      setGraphOpen(nodes);
      if (first.current.partial) open([...first.current.head, ...nodes].filter(Boolean));
    },
    [open],
  );
  const locating = podKey !== null && !loadedNode && located?.pod !== podKey;
  const pending =
    partial &&
    selection !== null &&
    (locating ||
      (selNode !== null &&
        !(feed.loaded?.has(selNode) ?? false) &&
        (summary?.nodes.some((n) => n.name === selNode) ?? false)));
  return { onGraphOpen, pending };
}
