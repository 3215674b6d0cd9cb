// Plain JavaScript, typed in JSDoc: pipeline/launch.mjs sets it before the bundle is loaded, and
// the bundle reads it through its own copy of this module; Symbol.for is the one key both share.
const KEY = Symbol.for("@workers/pipeline running build");

/**
 * Names the build of the CLI this process runs: memos that hold what this code computed (the
 * catalog, see remembered-catalog.ts) are only read back by the build that wrote them.
 *
 * @param {string} build
 * @returns {void}
 */
export function setRunningBuild(build) {
  /** @type {Record<symbol, unknown>} */ (globalThis)[KEY] = build;
}

/**
 * The build launch.mjs named; undefined when the CLI runs from its sources (tsx, tests), whose
 * code can change without a new name.
 *
 * @returns {string | undefined}
 */
export function runningBuild() {
  const build = /** @type {Record<symbol, unknown>} */ (globalThis)[KEY];
  return typeof build === "string" ? build : undefined;
}
