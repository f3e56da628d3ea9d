// What the runs of the lab's commands share: the lab --lab-id names, and lab errors as the
// user's to fix. Run side only (the table imports cli/options.ts's labIdOption instead).
import { str, type Parsed } from '../args.js';
import { CommandError } from '../command.js';
import { LabError } from '../../lab/errors.js';
import { labPaths, LabIdError, type LabPaths } from '../../lab/paths.js';

export function pathsOf(args: Parsed): LabPaths {
  try {
    return labPaths(str(args, 'lab-id') ?? (process.env.PODNET_LAB || null));
  } catch (e) {
    if (e instanceof LabIdError) throw new CommandError(e.message, 2);
    throw e;
  }
}

/** Lab errors are the user's to fix: exit 1 with the message, no stack. */
export async function labCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LabError) throw new CommandError(e.message);
    throw e;
  }
}
