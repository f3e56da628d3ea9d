// podnet up | down: everything, in the foreground: the lab with its agents (and
// `podnet check` on it), then the dashboard on it. Ctrl-C takes all of it down. The
// table's entries only: the runs are ./up-run.ts, loaded when one runs.
import { lazyRun, type Command } from '../command.js';
import { AUTH_OPTIONS, HOST_OPTION, labIdOption, PORT_OPTION } from '../options.js';

const upRun = () => import('./up-run.js');

export const up: Command = {
  path: ['up'],
  summary: 'bring up everything that exists, and stay in the foreground',
  usage:
    'podnet up [--control-plane lab|kubernetes] [--lab-id ID] [--host 127.0.0.1] [--port 3000] [--token-file F | --no-auth] [--allowed-host NAMES] [--json]',
  description:
    'Brings up the lab (three nodes, two pods each, host-gw, one agent per node; as "podnet lab up"), prints it and ' +
    '"podnet check"\'s matrix, starts the dashboard on it (building it first when needed) and prints its URL with its key (made ' +
    "once, a 0600 file in the lab's state directory; --token-file to use another, --no-auth for none), and stays in " +
    'the foreground. Ctrl-C, SIGTERM or "podnet down" from another shell takes all of it down. With --control-plane ' +
    'kubernetes, the lab keeps its Nodes and Pods in a local Kubernetes API endpoint (a test double) and the dashboard ' +
    'reads them from it (--source kubernetes), as on a cluster.',
  options: [
    {
      name: 'control-plane',
      value: 'KIND',
      help: 'lab, or kubernetes (as "podnet lab up --control-plane kubernetes"; the dashboard reads the API)',
      default: 'lab',
    },
    labIdOption,
    HOST_OPTION,
    PORT_OPTION,
    ...AUTH_OPTIONS,
  ],
  reports: true,
  run: lazyRun(upRun, (m) => m.runUp),
};

export const down: Command = {
  path: ['down'],
  summary: 'take down what podnet up started (from any shell)',
  usage: 'podnet down [--lab-id ID] [--json]',
  description:
    'Stops a running "podnet up" (SIGTERM to the PID it recorded) and waits for its teardown; if that process is gone, removes the lab it left. Running it twice is fine.',
  options: [labIdOption],
  reports: true,
  run: lazyRun(upRun, (m) => m.runDown),
};
