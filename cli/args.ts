// A small, strict argument parser: every command declares its options, anything else is
// an error that names the option and points at --help.

export interface OptionSpec {
  name: string;
  /** a placeholder for the value ("DIR"); absent for boolean flags */
  value?: string;
  help: string;
  default?: string;
}

export interface Parsed {
  options: Map<string, string | true>;
  positionals: string[];
  /** words after "--", untouched */
  rest: string[];
}

export class UsageError extends Error {}

export function parseArgs(argv: string[], specs: OptionSpec[]): Parsed {
  const options = new Map<string, string | true>();
  const positionals: string[] = [];
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') return { options, positionals, rest: argv.slice(i + 1) };
    if (!word.startsWith('--') || word === '-') {
      positionals.push(word);
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const spec = byName.get(name);
    if (!spec) throw new UsageError(`unknown option --${name}`);
    if (!spec.value) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
      continue;
    }
    const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
    if (value === undefined || (eq < 0 && value.startsWith('--')))
      throw new UsageError(`--${name} needs a value (${spec.value})`);
    // An empty value is never what was meant (--token-file "" from an unset variable would
    // otherwise quietly mean "no file").
    if (value.trim() === '') throw new UsageError(`--${name} needs a value (${spec.value}), got an empty one`);
    options.set(name, value);
  }
  for (const s of specs) if (s.default !== undefined && !options.has(s.name)) options.set(s.name, s.default);
  return { options, positionals, rest: [] };
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function flag(p: Parsed, name: string): boolean {
  return p.options.get(name) === true;
}
