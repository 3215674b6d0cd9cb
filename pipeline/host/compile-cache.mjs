// Plain JavaScript, typed in JSDoc: pipeline/launch.mjs imports it before anything is compiled,
// and a TypeScript file would cost Node's type stripper on every start.
// The module, not the name: an import of a name Node lacks fails before the launcher can say
// which Node it needs (supported-node.mjs).
import nodeModule from "node:module";

/**
 * Turns on V8's code cache for this process and hands its directory to every Node process the
 * pipeline starts (vitest, tsx, and wrangler, whose 10 MB bundle is otherwise compiled again on
 * each of a deploy's dozens of calls; docs/benchmarks.md has what it saves). Node does not pass
 * the cache on to children by itself. A directory the user chose, or NODE_DISABLE_COMPILE_CACHE,
 * is left as it is.
 *
 * @param {NodeJS.ProcessEnv} env
 * @returns {void}
 */
export function shareCompileCache(env) {
  const { directory } = nodeModule.enableCompileCache();
  if (directory !== undefined && env.NODE_COMPILE_CACHE === undefined) {
    env.NODE_COMPILE_CACHE = directory;
  }
}
