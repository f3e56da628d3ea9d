// What a command of bin/podnet is. The table in cli/commands/index.ts lists them all.
import type { OptionSpec, Parsed } from './args.js';

export interface CommandIo {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

export type Run = (args: Parsed, io: CommandIo) => Promise<number | void> | number | void;

export interface Command {
  /** words that select it: ["cni", "install"] */
  path: string[];
  summary: string;
  usage: string;
  /** a paragraph for --help: what it does, what it changes */
  description: string;
  options: OptionSpec[];
  /** whether it reports (and so takes --json) */
  reports: boolean;
  run: Run;
}

/** A run that imports its module only when the command runs: the table (and so --help)
 *  then loads no implementation, and a command loads only its own (cli/bundle.test.ts). */
export function lazyRun<M>(load: () => Promise<M>, pick: (m: M) => Run): Run {
  return async (args, io) => pick(await load())(args, io);
}

export class CommandError extends Error {
  constructor(
    msg: string,
    readonly exitCode = 1,
  ) {
    super(msg);
  }
}
