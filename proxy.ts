// Runs before every request: sets who may frame the page (CSP frame-ancestors, none by
// default) and, when the dashboard has an access token, refuses requests without it.
import { NextResponse, type NextRequest } from 'next/server';
import { accessPolicy, decideAccess, TOKEN_COOKIE } from './server/access';

export function proxy(request: NextRequest) {
  const policy = accessPolicy();
  const decision = decideAccess(policy, {
    authorization: request.headers.get('authorization'),
    cookie: request.cookies.get(TOKEN_COOKIE)?.value ?? null,
    queryToken: request.nextUrl.searchParams.get('token'),
  });
  let response: NextResponse;
  if (!decision.allow) {
    response = NextResponse.json({ error: decision.reason }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
  } else if (decision.setCookie) {
    // Keep the token out of the address bar and the history: cookie, then the clean URL.
    const clean = request.nextUrl.clone();
    clean.searchParams.delete('token');
    response = NextResponse.redirect(clean);
    response.cookies.set(TOKEN_COOKIE, policy.token!, { httpOnly: true, sameSite: 'lax', path: request.nextUrl.basePath || '/' });
  } else {
    response = NextResponse.next();
  }
  response.headers.set('content-security-policy', `frame-ancestors ${policy.frameAncestors}`);
  if (policy.frameAncestors === "'none'") response.headers.set('x-frame-options', 'DENY');
  return response;
}

export const config = {
  // Static assets carry nothing to protect and are fetched by the page itself.
  matcher: ['/((?!_next/static|_next/image|favicon.ico).*)'],
};
