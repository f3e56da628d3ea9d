// bin/podnet: find the command in the table, parse its options, run it.
import { parseArgs, UsageError } from './args.js';
import { CommandError, type Command, type CommandIo } from './command.js';
import { commands } from './commands/index.js';

function helpFor(c: Command): string {
  const lines = [`usage: ${c.usage}`, '', c.description, ''];
  const opts = [
    ...c.options,
    ...(c.reports ? [{ name: 'json', help: 'print the report as JSON' }] : []),
    { name: 'help', help: 'show this help' },
  ];
  lines.push('options:');
  for (const o of opts) {
    const left = `  --${o.name}${'value' in o && o.value ? ` ${o.value}` : ''}`;
    const def = 'default' in o && o.default !== undefined ? ` (default: ${o.default})` : '';
    lines.push(`${left.padEnd(30)} ${o.help}${def}`);
  }
  return lines.join('\n');
}

function overview(): string {
  const lines = [
    'usage: podnet COMMAND [options]',
    '',
    'Pod networking for Kubernetes that you can see.',
    '',
    'commands:',
  ];
  for (const c of commands) lines.push(`  ${c.path.join(' ').padEnd(18)} ${c.summary}`);
  lines.push('', 'Run "podnet COMMAND --help" for a command\'s options.');
  return lines.join('\n');
}

function find(argv: string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const c of commands) {
    if (c.path.every((w, i) => argv[i] === w) && (!best || c.path.length > best.path.length)) best = c;
  }
  return best ? { command: best, rest: argv.slice(best.path.length) } : null;
}

// `podnet … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

export async function main(argv: string[]): Promise<number> {
  const io: CommandIo = {
    json: false,
    out: (t) => void process.stdout.write(t + '\n'),
    err: (t) => void process.stderr.write(t + '\n'),
  };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    io.out(overview());
    return argv.length === 0 ? 2 : 0;
  }
  const found = find(argv);
  if (!found) {
    const group = commands.filter((c) => c.path[0] === argv[0]);
    io.err(
      group.length
        ? `podnet ${argv[0]}: expected one of: ${group.map((c) => c.path.slice(1).join(' ')).join(', ')}`
        : `podnet: unknown command "${argv.join(' ')}"`,
    );
    io.err('Run "podnet --help" for the list of commands.');
    return 2;
  }
  const { command, rest } = found;
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest; // words after -- belong to a child command
  if (own.includes('--help')) {
    io.out(helpFor(command));
    return 0;
  }
  const specs = command.reports ? [...command.options, { name: 'json', help: '' }] : command.options;
  try {
    const args = parseArgs(rest, specs);
    io.json = args.options.get('json') === true;
    return (await command.run(args, io)) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `podnet ${command.path.join(' ')}: ${e.message}\nRun "podnet ${command.path.join(' ')} --help" for its options.`,
      );
      return 2;
    }
    const code = e instanceof CommandError ? e.exitCode : 1;
    const msg = e instanceof CommandError ? e.message : `internal error: ${(e as Error).stack ?? e}`;
    if (io.json) io.out(JSON.stringify({ error: msg }));
    io.err(`podnet ${command.path.join(' ')}: ${msg}`);
    return code;
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (e) => {
    process.stderr.write(`podnet: ${(e as Error).stack ?? e}\n`);
    process.exitCode = 1;
  },
);
