// A verb thread of the agent's CNI socket (agent/cni-socket/): runs one verb at a time,
// synchronously, as the plugin would, and posts back its exit status, stdout and stderr.
// Bundled (cni/bundles.ts) and started by the socket's pool. Given a spawn helper, its verbs
// start their processes through it (agent/spawn-client.ts) instead of forking the agent;
// either way every process gets a deadline (CHILD_DEADLINE_MS), so none holds the thread.
import { parentPort, workerData } from 'node:worker_threads';
import { nodeSpawner, useSpawner } from '../lib/proc/spawn.js';
import { serveVerb } from './cni-verb.js';
import { helperSpawner, withDeadline } from './spawn-client.js';

export type WorkerMessage = { type: 'verb'; env: Record<string, unknown>; stdin: string } | { type: 'close' };

const data = workerData as { spawnHelper?: { req: string; resp: string } | null } | undefined;
let closeHelper = () => {};
if (data?.spawnHelper) {
  const helper = helperSpawner(data.spawnHelper.req, data.spawnHelper.resp, nodeSpawner);
  useSpawner(withDeadline(helper.spawn));
  closeHelper = helper.close;
} else {
  useSpawner(withDeadline(nodeSpawner));
}

const port = parentPort;
if (port) {
  port.on('message', (m: WorkerMessage) => {
    if (m.type === 'close') {
      closeHelper();
      port.postMessage({ closed: true });
      return;
    }
    port.postMessage(serveVerb(m.env, m.stdin));
  });
  port.postMessage({ ready: true });
}
