// A stand-in for a node agent's JSON API on a unix socket, for the tests of what reads its
// replies (lib/agent/trace-deps.ts, the dashboard's probe procedure): each request is
// answered 200 with what the test's `answer` makes of its path and JSON body, so a test can
// send exactly the malformed reply it checks for.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface FakeAgent {
  /** as the dashboard names an agent: unix:/path */
  address: string;
  /** every request, in order */
  asked: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

export async function fakeJsonAgent(answer: (path: string, body: unknown) => unknown): Promise<FakeAgent> {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-fake-agent-'));
  const asked: FakeAgent['asked'] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      const body: unknown = text ? JSON.parse(text) : undefined;
      asked.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(req.url ?? '', body)));
    });
  });
  const path = join(dir, 'agent.sock');
  await new Promise<void>((r) => server.listen(path, r));
  return {
    address: `unix:${path}`,
    asked,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
