// The command table of bin/podnet: what --help lists. Its entries hold each command's words,
// help and options, and load the command's code only when it runs (cli/command.ts's lazyRun).
import type { Command } from '../command.js';
import { agent, agentVerifier } from './agent.js';
import { check } from './check.js';
import { cniInstall, cniUninstall } from './cni.js';
import { firewallRender } from './firewall.js';
import { labCommands } from './lab.js';
import { faultCommands } from './lab-fault.js';
import { dashboard } from './dashboard.js';
import { deploySecrets } from './deploy.js';
import { trace } from './trace.js';
import { down, up } from './up.js';

export const commands: Command[] = [
  up,
  down,
  dashboard,
  ...labCommands,
  ...faultCommands,
  check,
  trace,
  firewallRender,
  agentVerifier,
  agent,
  cniInstall,
  cniUninstall,
  deploySecrets,
];
