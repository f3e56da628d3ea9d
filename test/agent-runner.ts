// Runs one node agent with options a test chooses (startAgent's own, some of which the CLI
// does not offer, such as a longer recheck): `node --import tsx test/agent-runner.ts JSON`,
// inside the node's namespace. SIGTERM stops it.
import { startAgent, type AgentOptions } from '../agent/agent.js';

const agent = await startAgent(JSON.parse(process.argv[2]!) as AgentOptions);
process.once('SIGTERM', () => void agent.stop().then(() => process.exit(0)));
