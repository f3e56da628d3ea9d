// Who may use the dashboard, decided per request by proxy.ts before anything else runs:
//   1. the Host header must name this dashboard (DNS rebinding: a page on evil.example
//      whose name is re-pointed at 127.0.0.1 sends Host: evil.example);
//   2. API calls and form posts must not come from another site (Origin, Sec-Fetch-Site);
//   3. with a key, the caller must hold it: a bearer header (scripts), a session cookie
//      (the page, after ?token= or the sign-in form), or ?token= itself (first visit).
// The session cookie never holds the key: it is an expiry and a random id signed with an
// HMAC derived from the key, so a new key file ends every session without a restart.
// Pure apart from reading the key file; the rules are unit-tested without a server.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileStamp } from '../lib/file-stamp';
import { readKeyFile, type KeyRead } from '../lib/key-file';
import { isIP } from 'node:net';
import type { DashboardConfig } from './config';

export const SESSION_COOKIE = 'podnet_session';
/** a signed-in browser stays signed in this long (then the sign-in form again) */
export const SESSION_TTL_S = 12 * 3600;
/** paths that answer without a key or a known Host: the kubelet's probes use them */
export const HEALTH_PATH = '/healthz';
export const SIGNIN_PATH = '/signin';
/** Set by proxy.ts on every request it lets through (an incoming copy is replaced): who
 *  made the call, for the audit log and the rate limit of probes and traces. */
export const WHO_HEADER = 'x-podnet-who';

export interface AccessPolicy {
  /** where the key lives (re-read when the file changes); null: no key needed */
  keyFile: string | null;
  /** the CSP frame-ancestors value: "'none'" unless origins are configured */
  frameAncestors: string;
  /** host names (lower case, no port) a request may address; IP literals always pass */
  allowedHosts: Set<string>;
}

export function policyOf(config: DashboardConfig): AccessPolicy {
  const origins = config.PODNET_FRAME_ANCESTORS.split(/\s+/).filter(Boolean);
  const hosts = new Set([
    'localhost',
    ...config.PODNET_ALLOWED_HOSTS.split(/[\s,]+/)
      .filter(Boolean)
      .map((h) => h.toLowerCase()),
  ]);
  if (config.PODNET_HOST && !isIP(config.PODNET_HOST)) hosts.add(config.PODNET_HOST.toLowerCase());
  return {
    keyFile: config.PODNET_DASHBOARD_TOKEN_FILE ?? null,
    frameAncestors: origins.length ? origins.join(' ') : "'none'",
    allowedHosts: hosts,
  };
}

/* The key, read again whenever its file changes (rotation without a restart). */

export type KeyState = KeyRead;
let keyCache: { file: string; stamp: string; state: KeyState } | null = null;

export function readKey(file: string): KeyState {
  const stamp = fileStamp(file);
  if (keyCache && keyCache.file === file && keyCache.stamp === stamp) return keyCache.state;
  // Symbolic links are followed here: a Kubernetes Secret's files are links into ..data/.
  const state = readKeyFile(file);
  keyCache = { file, stamp, state };
  return state;
}

/** Constant time whatever the lengths: both sides are hashed to 32 bytes under a key of
 *  this process first, so neither the length nor a common prefix shows in the timing. */
const compareKey = randomBytes(32);
export function keyMatches(given: string | null | undefined, key: string): boolean {
  if (!given) return false;
  const a = createHmac('sha256', compareKey).update(given).digest();
  const b = createHmac('sha256', compareKey).update(key).digest();
  return timingSafeEqual(a, b);
}

/* Sessions: "v1.<expiry s>.<id>.<mac>", mac = HMAC(HMAC(key, purpose), "v1.<expiry>.<id>"). */

const sessionSecret = (key: string) => createHmac('sha256', key).update('podnet dashboard session v1').digest();
const macOf = (key: string, body: string) => createHmac('sha256', sessionSecret(key)).update(body).digest('base64url');

export function newSession(key: string, nowS = Math.floor(Date.now() / 1000)): { value: string; id: string } {
  const id = randomBytes(12).toString('base64url');
  const body = `v1.${nowS + SESSION_TTL_S}.${id}`;
  return { value: `${body}.${macOf(key, body)}`, id };
}

/** the session's id when the cookie is genuine for this key and not expired */
export function sessionId(
  value: string | null | undefined,
  key: string,
  nowS = Math.floor(Date.now() / 1000),
): string | null {
  const m = /^v1\.(\d{1,12})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
  if (!m) return null;
  const expected = Buffer.from(macOf(key, `v1.${m[1]}.${m[2]}`));
  if (!timingSafeEqual(expected, Buffer.from(m[3]!))) return null;
  return Number(m[1]) > nowS ? m[2]! : null;
}

/* The decision. */

export interface AccessRequest {
  method: string;
  /** the path without the base path */
  path: string;
  host: string | null;
  origin: string | null;
  secFetchSite: string | null;
  /** "text/html…" for a page a browser navigates to */
  accept: string | null;
  authorization: string | null;
  cookie: string | null;
  queryToken: string | null;
}

export type AccessDecision =
  /** who: "anonymous" (no key), "bearer", or "session:<id>": for the audit log and the rate limit */
  | { allow: true; who: string; startSession?: boolean }
  | { allow: false; status: 401 | 403 | 503; reason: string; signIn?: boolean };

/** the host part of a Host header or an Origin's authority, lower case, without the port */
export function hostnameOf(authority: string): string | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/]+)(?::\d{1,5})?$/.exec(authority.trim());
  return m ? m[1]!.toLowerCase() : null;
}

/** An IP literal cannot come from DNS rebinding (the browser sends what the user typed),
 *  so any address passes; names must be localhost, --host or an --allowed-host. */
export function hostAllowed(policy: AccessPolicy, host: string | null): boolean {
  const name = host ? hostnameOf(host) : null;
  if (!name) return false;
  if (isIP(name.replace(/^\[|\]$/g, ''))) return true;
  return policy.allowedHosts.has(name.replace(/\.$/, ''));
}

const isApi = (path: string) => path === '/api' || path.startsWith('/api/');

export function decideAccess(
  policy: AccessPolicy,
  req: AccessRequest,
  readKeyState: (file: string) => KeyState = readKey,
): AccessDecision {
  if (req.path === HEALTH_PATH) return { allow: true, who: 'health' };
  if (!hostAllowed(policy, req.host)) {
    const name = req.host ? (hostnameOf(req.host) ?? req.host) : '(none)';
    return {
      allow: false,
      status: 403,
      reason: `this dashboard does not serve the host name "${name}": start it with --allowed-host ${name} if that name is yours`,
    };
  }
  // A page elsewhere must not drive the API with this browser's session (CSRF) or read it.
  // Same-origin EventSource and GET send no Origin: absence is fine, a foreign one is not.
  if (isApi(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) {
    if (req.secFetchSite === 'cross-site')
      return {
        allow: false,
        status: 403,
        reason: 'requests from another site are refused (Sec-Fetch-Site: cross-site)',
      };
    if (req.origin !== null) {
      const from = /^https?:\/\/([^/]+)$/.exec(req.origin)?.[1];
      if (!from || !req.host || from.toLowerCase() !== req.host.toLowerCase())
        return {
          allow: false,
          status: 403,
          reason: `requests from origin ${req.origin} are refused: only this dashboard's own pages may call it`,
        };
    }
  }
  // The sign-in form's post carries the key in its body: proxy.ts checks it.
  if (req.path === SIGNIN_PATH && req.method === 'POST') return { allow: true, who: 'sign-in' };
  if (policy.keyFile === null) return { allow: true, who: 'anonymous' };
  const state = readKeyState(policy.keyFile);
  if ('error' in state)
    return { allow: false, status: 503, reason: `${state.error}: nobody can sign in until it is fixed` };
  const bearer = req.authorization?.startsWith('Bearer ') ? req.authorization.slice(7).trim() : null;
  if (bearer !== null) {
    return keyMatches(bearer, state.key)
      ? { allow: true, who: 'bearer' }
      : { allow: false, status: 401, reason: "the bearer key given is not this dashboard's key" };
  }
  const session = sessionId(req.cookie, state.key);
  if (session) return { allow: true, who: `session:${session}` };
  if (req.queryToken !== null && keyMatches(req.queryToken, state.key))
    return { allow: true, who: 'token-link', startSession: true };
  const page = !isApi(req.path) && req.method === 'GET' && (req.accept ?? '').includes('text/html');
  const reason =
    req.queryToken !== null
      ? "the key in the link is not this dashboard's key"
      : req.cookie
        ? 'your session has ended (it expired, or the key changed): sign in again'
        : 'this dashboard needs its key: open the URL podnet printed (…/?token=…), sign in with the key, or send "Authorization: Bearer <key>"';
  return { allow: false, status: 401, reason, signIn: page };
}

/** Where the sign-in form may send the browser afterwards: a path of this dashboard only
 *  (never "//host" or a scheme), so the form cannot be used to redirect elsewhere. */
export function safeNext(next: string | null | undefined, basePath: string): string {
  const home = `${basePath}/`;
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\') || /[\x00-\x1f]/.test(next))
    return home;
  if (basePath && next !== basePath && !next.startsWith(`${basePath}/`) && !next.startsWith(`${basePath}?`))
    return home;
  return next;
}
