// A verb thread of the agent's CNI socket (agent/cni-socket.ts): runs one verb at a time,
// synchronously, as the plugin would, and posts back its exit status, stdout and stderr.
// Bundled with esbuild and started by the socket's pool.
import { parentPort } from 'node:worker_threads';
import { serveVerb } from './cni-verb.js';

const port = parentPort;
if (port) {
  port.on('message', (job: { env: Record<string, unknown>; stdin: string }) => {
    port.postMessage(serveVerb(job.env, job.stdin));
  });
  port.postMessage({ ready: true });
}
