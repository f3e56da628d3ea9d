// Which module files a node process loads: a module hook (node:module's register, as in
// test/no-build-tools.ts) that appends the file: URL of every module it loads to a file,
// one a line. cli/bundle.test.ts uses it to check that a command of the built CLI loads
// only what it uses (--help no implementation at all).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** node's arguments (put them before the script) that record every module file loaded into `file`. */
export function recordingLoads(file: string): string[] {
  // The hooks run on a thread of their own: appending to a file is how they report.
  const hooks = `import { appendFileSync } from 'node:fs';
let out;
export function initialize(data) { out = data.file; }
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(out, url + '\\n');
  return next(url, context);
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)}, { data: { file: ${JSON.stringify(file)} } });`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}

/** The paths `recordingLoads` wrote to `file`, each once. */
export function loadedFiles(file: string): string[] {
  const urls = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return [...new Set(urls.map((u) => fileURLToPath(u)))];
}
