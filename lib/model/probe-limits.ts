// The probes' kinds and bounds, apart from the request schema: the trace reads them on
// every run and needs no schema library for that. Pure and isomorphic.
export const PROBE_KINDS = ['ping', 'traceroute', 'route-get', 'tcp'] as const;
export type ProbeKind = (typeof PROBE_KINDS)[number];

export const PROBE_LIMITS = {
  /** echo requests per ping */
  count: { min: 1, max: 10, default: 3 },
  /** the whole probe's budget: the process is killed when it passes */
  timeoutMs: { min: 100, max: 10_000, default: 2_000 },
  /** traceroute's -m */
  maxHops: { min: 1, max: 30, default: 15 },
  /** ping's payload in bytes (-s); above the default it is sent with DF set (-M do), so a
   *  path with a smaller MTU drops it instead of fragmenting it: the MTU test */
  size: { min: 16, max: 9000, default: 56 },
  /** tcp: the port to connect to */
  port: { min: 1, max: 65535, default: 80 },
} as const;
