// The agent's CNI socket on its own, without the rest of the agent: for the tests, the
// benchmark and trying the fast path by hand. Run it in the node's network namespace:
//
//   nsenter --net=/run/netns/NODE node --import tsx agent/cni-socket-standalone.ts \
//     --socket /run/podnet/cni.sock [--workers N] [--no-spawn-helper]
//
// Prints one JSON line on stdout when it is listening ({"listening": PATH, "pid": …}),
// its log on stderr, and closes cleanly (finishing acknowledged verbs) on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { startCniSocket } from './cni-socket/server.js';

const { values } = parseArgs({
  options: { socket: { type: 'string' }, workers: { type: 'string' }, 'no-spawn-helper': { type: 'boolean' } },
  strict: true,
});
if (!values.socket) {
  process.stderr.write('usage: cni-socket-standalone.ts --socket PATH [--workers N] [--no-spawn-helper]\n');
  process.exit(2);
}
const sock = await startCniSocket(values.socket, {
  ...(values.workers !== undefined ? { workers: Number(values.workers) } : {}),
  ...(values['no-spawn-helper'] ? { spawnHelper: false as const } : {}),
  log: (level, msg, fields) =>
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }) + '\n'),
});
process.stdout.write(
  JSON.stringify({
    listening: sock.path,
    pid: process.pid,
    workers: sock.stats.workers,
    spawnHelpers: sock.stats.spawnHelpers,
  }) + '\n',
);
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  process.once(sig, () => {
    void sock.close().then(() => {
      process.stderr.write(JSON.stringify({ level: 'info', msg: 'CNI socket closed', stats: sock.stats }) + '\n');
      process.exit(0);
    });
  });
}
