// The run of podnet agent verifier (its table entry is ./agent.ts): a hash of the token,
// without the agent.
import { readFileSync } from 'node:fs';
import { str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { verifierOf } from '../../agent/credentials.js';

export const runAgentVerifier: Run = (args, io) => {
  const file = str(args, 'token-file');
  let token: string;
  try {
    token = readFileSync(file ?? 0, 'utf8').trim();
  } catch (e) {
    throw new CommandError(`cannot read the token: ${(e as Error).message}`, 2);
  }
  if (token.length < 16) throw new CommandError('the token is shorter than 16 characters', 2);
  if (token.startsWith('sha256:')) throw new CommandError('that is already a verifier (sha256:…), not a token', 2);
  const verifier = verifierOf(token);
  io.out(io.json ? JSON.stringify({ verifier }) : verifier);
};
