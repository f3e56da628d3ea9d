// The dashboard server's configuration (server/config.ts) and the CLI's check of the same
// options (cli/commands/dashboard-run.ts): PODNET_AGENT_SOCKET_DIR / --agent-socket-dir.
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../cli/args';
import { CommandError, type CommandIo } from '../cli/command';
import { dashboard } from '../cli/commands/dashboard';
import { runDashboard } from '../cli/commands/dashboard-run';
import { ConfigError, loadConfig } from './config';

/** the message loadConfig refuses `env` with */
function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error(`loadConfig took ${JSON.stringify(env)}`);
}

describe('PODNET_AGENT_SOCKET_DIR', () => {
  it('is unset by default, and the agents are at InternalIP:9650', () => {
    const c = loadConfig({ PODNET_SOURCE: 'kubernetes' });
    expect(c.PODNET_AGENT_SOCKET_DIR).toBeUndefined();
    expect(c.PODNET_AGENT_PORT).toBe(9650);
  });

  it('takes an absolute directory, with the port (which then does not apply) and a token file', () => {
    const c = loadConfig({
      PODNET_SOURCE: 'kubernetes',
      PODNET_AGENT_SOCKET_DIR: '/run/podnet/labs/k1/nodes',
      PODNET_AGENT_PORT: '9650',
      PODNET_AGENT_TOKEN_FILE: '/run/podnet/labs/k1/agent.token',
    });
    expect(c.PODNET_AGENT_SOCKET_DIR).toBe('/run/podnet/labs/k1/nodes');
  });

  it.each([
    ['run/podnet/nodes', 'must be an absolute path, such as /run/podnet/nodes; got "run/podnet/nodes"'],
    ['./nodes', 'must be an absolute path'],
    ['', 'must be an absolute path'],
    ['~/nodes', 'must be an absolute path'],
    ['/run/podnet\n/nodes', 'must be a path without NUL or line breaks; got "/run/podnet\\n/nodes"'],
    [`/${'d'.repeat(100)}`, 'is too long: <dir>/<node>/agent.sock must fit in a unix socket address (107 bytes)'],
  ])('refuses %j, naming the variable and why', (dir, why) => {
    const message = refusal({ PODNET_SOURCE: 'kubernetes', PODNET_AGENT_SOCKET_DIR: dir });
    expect(message).toContain(`PODNET_AGENT_SOCKET_DIR=${JSON.stringify(dir)}: `);
    expect(message).toContain(why);
  });

  it('refuses it with PODNET_AGENT_CA_FILE: agents on unix sockets speak plain HTTP', () => {
    const message = refusal({
      PODNET_SOURCE: 'kubernetes',
      PODNET_AGENT_SOCKET_DIR: '/run/podnet/nodes',
      PODNET_AGENT_CA_FILE: '/etc/podnet/agent-ca.pem',
    });
    expect(message).toContain('PODNET_AGENT_SOCKET_DIR="/run/podnet/nodes": agents on unix sockets speak plain HTTP');
    expect(message).toContain('PODNET_AGENT_CA_FILE (--agent-ca-file) does not go with');
  });
});

describe('podnet dashboard --agent-socket-dir', () => {
  /** runs the command's run with `argv`; it must refuse before anything starts */
  async function refused(argv: string[]): Promise<CommandError> {
    // a tripwire: a --base-path the run refuses right after the agent options, so that a
    // run that let `argv` through fails here too, and never builds or starts a dashboard
    argv = [...argv, '--base-path', 'not-a-path/'];
    const out: string[] = [];
    const io: CommandIo = { out: (s) => void out.push(s), err: (s) => void out.push(s), json: false };
    const error = await Promise.resolve()
      .then(() => runDashboard(parseArgs(argv, dashboard.options), io))
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(CommandError);
    expect(out).toEqual([]); // nothing built, nothing started
    return error as CommandError;
  }

  it('is an option of the command', () => {
    expect(dashboard.options.find((o) => o.name === 'agent-socket-dir')).toMatchObject({ value: 'DIR' });
    expect(dashboard.usage).toContain('--agent-socket-dir DIR');
  });

  it('refuses a relative directory with a usage error (exit 2)', async () => {
    const e = await refused(['--source', 'kubernetes', '--agent-socket-dir', 'nodes']);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe('--agent-socket-dir must be an absolute path, such as /run/podnet/nodes; got "nodes"');
  });

  it('refuses it together with --agent-ca-file (exit 2)', async () => {
    const e = await refused([
      '--source',
      'kubernetes',
      '--agent-socket-dir',
      '/run/podnet/nodes',
      '--agent-ca-file',
      '/etc/podnet/agent-ca.pem',
    ]);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(
      '--agent-socket-dir and --agent-ca-file do not go together: agents on unix sockets speak plain HTTP (give one of them)',
    );
  });
});
