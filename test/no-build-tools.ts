// Runs node with packages made unresolvable — the build tools (esbuild, tsx), as on a machine
// with only what podnet needs at run time: a module hook (node:module's register) that fails
// every import of them, wherever it comes from. The built CLI must run like this
// (cli/bundle.test.ts, cli/bundle.netns.test.ts).

/** node's arguments (put them before the script) that make these packages unresolvable. */
export function unresolvable(packages: string[]): string[] {
  const pattern = `^(${packages.join('|')})(/|$)`;
  const hooks = `export async function resolve(specifier, context, next) {
  if (new RegExp(${JSON.stringify(pattern)}).test(specifier)) throw Object.assign(new Error('made unresolvable by the test: ' + specifier), { code: 'ERR_MODULE_NOT_FOUND' });
  return next(specifier, context);
}`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
  return ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
}

export const WITHOUT_BUILD_TOOLS = unresolvable(['esbuild', 'tsx']);
