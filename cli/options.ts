// Options several commands take, as data only: the command table imports them, so this
// file must import no implementation (--help loads nothing else; cli/bundle.test.ts).
import { MIN_KEY_LENGTH } from '../lib/key-file.js';
import type { OptionSpec } from './args.js';

export const labIdOption: OptionSpec = {
  name: 'lab-id',
  value: 'ID',
  help: 'a separate lab: namespaces podnet-ID-…, state in /run/podnet/ID (default: $PODNET_LAB, else the main lab)',
};

export const HOST_OPTION: OptionSpec = {
  name: 'host',
  value: 'ADDR',
  help: 'address the dashboard listens on',
  default: '127.0.0.1',
};
export const PORT_OPTION: OptionSpec = { name: 'port', value: 'PORT', help: 'dashboard port', default: '3000' };

/** How `podnet up` and `podnet dashboard` take the dashboard's key (cli/dashboard-key.ts settles it). */
export const AUTH_OPTIONS: OptionSpec[] = [
  {
    name: 'token-file',
    value: 'FILE',
    help: `file with the key the page asks for (at least ${MIN_KEY_LENGTH} characters); default: one made for this dashboard`,
  },
  {
    name: 'no-auth',
    help: 'no key at all: anyone who reaches the port can read the cluster (and run probes unless --read-only)',
  },
  {
    name: 'allowed-host',
    value: 'NAMES',
    help: 'host names the dashboard answers to besides localhost and IP addresses (comma-separated), e.g. podnet.example.com',
  },
];
