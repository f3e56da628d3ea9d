// The command table of bin/podnet.
import type { Command } from '../command.js';
import { cniInstall, cniUninstall } from './cni.js';
import { down, up } from './up.js';

export const commands: Command[] = [up, down, cniInstall, cniUninstall];
