// The command table of bin/podnet.
import type { Command } from '../command.js';
import { cniInstall, cniUninstall } from './cni.js';

export const commands: Command[] = [cniInstall, cniUninstall];
