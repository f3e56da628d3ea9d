// Liveness for whoever supervises the dashboard (a kubelet's probe, podnet up): answers
// without a key and whatever the Host (proxy.ts exempts it), and tells nothing.
export const dynamic = 'force-dynamic';

export function GET() {
  return new Response('ok\n', { headers: { 'content-type': 'text/plain', 'cache-control': 'no-store' } });
}
