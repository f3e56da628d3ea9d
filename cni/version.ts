// Spec versions: which verbs each allows, and the result shape each expects.
import { SUPPORTED_CNI_VERSIONS, type CniResult, type CniVersion } from '../lib/model/cni.js';
import { CniError, ErrorCode } from './errors.js';
import type { Verb } from './env.js';
import { isObject } from './fields.js';

function parts(v: string): number[] {
  return v.split('.').map(Number);
}

export function compareVersions(a: string, b: string): number {
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function checkVersion(version: string, verb: Verb): CniVersion {
  if (!(SUPPORTED_CNI_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `cniVersion "${version}" is not supported: podnet speaks ${SUPPORTED_CNI_VERSIONS.join(', ')}`,
    );
  }
  const since: Partial<Record<Verb, string>> = { CHECK: '0.4.0', GC: '1.1.0', STATUS: '1.1.0' };
  const needed = since[verb];
  if (needed && compareVersions(version, needed) < 0) {
    throw new CniError(
      ErrorCode.IncompatibleVersion,
      `${verb} needs cniVersion ${needed} or later; the config says ${version}`,
    );
  }
  return version as CniVersion;
}

/** Results before 1.0.0 carry `version` on each IP; 1.0.0 dropped it. */
export function resultForVersion(result: CniResult, version: string): CniResult {
  const legacy = compareVersions(version, '1.0.0') < 0;
  const ips = result.ips?.map(({ version: _v, ...ip }) =>
    legacy ? { version: ip.address.includes(':') ? ('6' as const) : ('4' as const), ...ip } : ip,
  );
  const out: CniResult = { cniVersion: version };
  if (result.interfaces) out.interfaces = result.interfaces;
  if (ips) out.ips = ips;
  if (result.routes) out.routes = result.routes;
  out.dns = result.dns ?? {};
  return out;
}

/** A result from any supported version, read into the 1.x shape podnet works in. */
export function normalizeResult(value: unknown, field: string): CniResult {
  if (!isObject(value)) throw new CniError(ErrorCode.DecodeFailure, `${field} is not a CNI result object`);
  const r = value as unknown as CniResult;
  if (r.ips !== undefined && !Array.isArray(r.ips))
    throw new CniError(ErrorCode.DecodeFailure, `${field}.ips is not a list`);
  return {
    cniVersion: typeof r.cniVersion === 'string' ? r.cniVersion : '1.0.0',
    interfaces: Array.isArray(r.interfaces) ? r.interfaces : [],
    ips: (r.ips ?? []).map(({ version: _v, ...ip }) => ip),
    routes: Array.isArray(r.routes) ? r.routes : [],
    dns: isObject(r.dns) ? r.dns : {},
  };
}
