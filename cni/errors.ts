// Every failure a plugin can report, with the spec's error codes (CNI spec 1.1, "Error")
// and podnet's own from 100 up. README.md ("Errors") lists them for users.

export const ErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  /** STATUS: the plugin cannot serve ADD now */
  PluginNotAvailable: 50,
  /** a kernel operation (ip, nsenter, nft) failed */
  KernelOperation: 100,
  /** an IPv6 range, address or route was configured */
  Ipv6NotSupported: 101,
  /** every address of the range is leased */
  RangeExhausted: 102,
  /** the bridge exists but is not usable: not a bridge, or holds another subnet's address */
  BridgeConflict: 103,
  /** the delegated IPAM plugin failed without a CNI error of its own */
  IpamDelegateFailed: 104,
  /** CHECK: the kernel differs from prevResult */
  CheckMismatch: 105,
  /** anything else: a bug in podnet; the details carry the stack */
  Internal: 199,
} as const;

export class CniError extends Error {
  constructor(
    readonly code: number,
    msg: string,
    readonly details?: string,
  ) {
    super(msg);
    this.name = 'CniError';
  }
}

export function invalidConfig(msg: string, details?: string): CniError {
  return new CniError(ErrorCode.InvalidNetworkConfig, msg, details);
}
