// A plugin process's logging, for cni/log.test.ts: `node --import tsx test/log-writer.ts
// STATE_DIR WRITER LINES MAX_BYTES` logs LINES info lines through cni/log.ts, as a verb does.
import { beginLog, log, logTo } from '../cni/log.js';

const [dir, writer, lines, maxBytes] = process.argv.slice(2);
beginLog(() => {});
logTo(dir!, { maxBytes: Number(maxBytes) });
for (let i = 0; i < Number(lines); i++) log('info', 'ADD done', { writer: Number(writer), i, pad: 'p'.repeat(200) });
