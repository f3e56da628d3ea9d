// Runs before every request (server/access.ts decides): the Host and Origin checks, the
// key (bearer, session cookie, ?token=, the sign-in form), and the page's
// Content-Security-Policy with a fresh nonce, which Next.js puts on its own scripts.
import { randomBytes } from 'node:crypto';
import { NextResponse, type NextRequest } from 'next/server';
import {
  decideAccess,
  keyMatches,
  newSession,
  policyOf,
  readKey,
  safeNext,
  SESSION_COOKIE,
  SESSION_TTL_S,
  SIGNIN_PATH,
  WHO_HEADER,
  type AccessPolicy,
} from './server/access';
import { loadConfig } from './server/config';
import { signInHtml } from './server/signin-page';

let cached: AccessPolicy | null = null;
const policy = () => (cached ??= policyOf(loadConfig()));

function pageCsp(nonce: string, frameAncestors: string): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': Next's nonced scripts may load its chunks; nothing else runs.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`,
    // React and Cytoscape set element styles at run time (style attributes).
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    `frame-ancestors ${frameAncestors}`,
  ].join('; ');
}

const signInCsp = (frameAncestors: string) =>
  `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors ${frameAncestors}`;

function isHttps(request: NextRequest): boolean {
  return request.nextUrl.protocol === 'https:' || request.headers.get('x-forwarded-proto') === 'https';
}

/** The session cookie: HttpOnly always; over HTTPS Secure and SameSite=None (Partitioned,
 *  so a portal on another site can frame the page even where third-party cookies are off);
 *  over plain HTTP SameSite=Lax, so another site cannot ride on it. */
function withSession(response: NextResponse, request: NextRequest, key: string): NextResponse {
  const https = isHttps(request);
  response.cookies.set(SESSION_COOKIE, newSession(key).value, {
    httpOnly: true,
    path: request.nextUrl.basePath || '/',
    maxAge: SESSION_TTL_S,
    ...(https ? { secure: true, sameSite: 'none' as const, partitioned: true } : { sameSite: 'lax' as const }),
  });
  return response;
}

function signInPage(
  request: NextRequest,
  p: AccessPolicy,
  message: string,
  error: boolean,
  next?: string,
): NextResponse {
  const base = request.nextUrl.basePath;
  const query = new URLSearchParams(request.nextUrl.search);
  query.delete('token'); // a wrong key in a link is not kept for later
  const search = query.size ? `?${query}` : '';
  const asked = next ?? safeNext(`${base}${request.nextUrl.pathname}${search}`, base);
  const html = signInHtml({ action: `${base}${SIGNIN_PATH}`, next: asked, message, error });
  return new NextResponse(html, {
    status: 401,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': signInCsp(p.frameAncestors),
      'cache-control': 'no-store',
    },
  });
}

/** POST /signin from the form: the key checked like a bearer key, then a session and back
 *  to the address the user asked for (only ever a path of this dashboard). */
async function signIn(request: NextRequest, p: AccessPolicy): Promise<NextResponse> {
  const base = request.nextUrl.basePath;
  const form = await request.formData().catch(() => null);
  const given = form?.get('key');
  const askedFor = form?.get('next');
  const next = safeNext(typeof askedFor === 'string' ? askedFor : '', base);
  if (!p.keyFile) return NextResponse.redirect(new URL(next, request.url), 303);
  const state = readKey(p.keyFile);
  if ('error' in state) return NextResponse.json({ error: state.error }, { status: 503 });
  if (typeof given !== 'string' || !keyMatches(given.trim(), state.key))
    return signInPage(request, p, "That is not this dashboard's key. Try again.", true, next);
  return withSession(NextResponse.redirect(new URL(next, request.url), 303), request, state.key);
}

function requestFacts(request: NextRequest) {
  const h = request.headers;
  return {
    method: request.method,
    path: request.nextUrl.pathname,
    host: h.get('host'),
    origin: h.get('origin'),
    secFetchSite: h.get('sec-fetch-site'),
    accept: h.get('accept'),
    authorization: h.get('authorization'),
    cookie: request.cookies.get(SESSION_COOKIE)?.value ?? null,
    queryToken: request.nextUrl.searchParams.get('token'),
  };
}

export async function proxy(request: NextRequest) {
  const p = policy();
  const decision = decideAccess(p, requestFacts(request));
  if (!decision.allow) {
    if (decision.signIn)
      return signInPage(
        request,
        p,
        decision.reason,
        request.nextUrl.searchParams.has('token') || request.cookies.has(SESSION_COOKIE),
      );
    return NextResponse.json(
      { error: decision.reason },
      {
        status: decision.status,
        headers: decision.status === 401 ? { 'www-authenticate': 'Bearer realm="podnet"' } : {},
      },
    );
  }
  if (request.method === 'POST' && request.nextUrl.pathname === SIGNIN_PATH) return signIn(request, p);
  if (decision.startSession) {
    // Keep the key out of the address bar and the history: a session cookie, then the clean URL.
    const clean = request.nextUrl.clone();
    clean.searchParams.delete('token');
    const state = readKey(p.keyFile!);
    if ('error' in state) return NextResponse.json({ error: state.error }, { status: 503 });
    return withSession(NextResponse.redirect(clean, 303), request, state.key);
  }
  const nonce = randomBytes(16).toString('base64');
  const csp = pageCsp(nonce, p.frameAncestors);
  const headers = new Headers(request.headers);
  headers.set(WHO_HEADER, decision.who);
  headers.set('content-security-policy', csp);
  headers.set('x-nonce', nonce);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set('content-security-policy', csp);
  if (p.frameAncestors === "'none'") response.headers.set('x-frame-options', 'DENY');
  response.headers.set('x-content-type-options', 'nosniff');
  response.headers.set('referrer-policy', 'same-origin');
  return response;
}

export const config = {
  // Static assets carry nothing to protect and are fetched by the page itself.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
