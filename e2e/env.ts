// What global setup started, for the tests and the teardown: written to a file, because
// Playwright's global setup runs in another process than the tests.
import { readFileSync, writeFileSync } from 'node:fs';

export interface E2eEnv {
  labId: string;
  /** the dashboard on the lab, at / */
  url: string;
  /** the same lab's dashboard built for a sub-path, read-only, allowing only `portal` to frame it */
  subpathUrl: string;
  /** a page on an allowed origin that frames the embed view */
  portal: string;
  /** the same page on an origin that is not allowed */
  foreignPortal: string;
  pids: number[];
  /** the dashboards' key, and the file (in keyDir, removed by the teardown) that holds it */
  key: string;
  keyFile: string;
  keyDir: string;
}

export const ENV_FILE = 'e2e/artifacts/env.json';

export const readEnv = (): E2eEnv => JSON.parse(readFileSync(ENV_FILE, 'utf8')) as E2eEnv;
export const writeEnv = (env: E2eEnv) => writeFileSync(ENV_FILE, JSON.stringify(env, null, 2));
