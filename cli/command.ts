// What a command of bin/podnet is. The table in cli/commands/index.ts lists them all.
import type { OptionSpec, Parsed } from './args.js';

export interface CommandIo {
  json: boolean;
  out(text: string): void;
  err(text: string): void;
}

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
  run(args: Parsed, io: CommandIo): Promise<number | void> | number | void;
}

export class CommandError extends Error {
  constructor(
    msg: string,
    readonly exitCode = 1,
  ) {
    super(msg);
  }
}
