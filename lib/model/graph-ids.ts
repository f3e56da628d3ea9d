// The ids of what the graph draws. The trace names the elements its path crosses with
// these ids (so the page can highlight them), and the graph draws elements under them:
// one scheme, here, so the two cannot drift. Isomorphic.
export const elementId = {
  node: (name: string) => `node:${name}`,
  bridge: (name: string) => `bridge:${name}`,
  pod: (key: string) => `pod:${key}`,
  veth: (key: string) => `veth:${key}`,
  uplink: (name: string) => `uplink:${name}`,
  route: (from: string, dst: string) => `route:${from} ${dst}`,
  lan: 'lan',
  router: 'router',
  unplaced: 'unplaced',
} as const;
