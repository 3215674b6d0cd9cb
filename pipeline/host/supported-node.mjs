// Plain JavaScript, typed in JSDoc: pipeline/launch.mjs checks the version before it loads
// anything an older Node cannot link, so this file may use nothing newer than what it checks.

/** The oldest Node the pipeline runs on: package.json's `engines.node` says the same. */
export const MINIMUM_NODE = "22.12.0";

/**
 * One line saying why `version` (as `process.version` spells it) cannot run the pipeline and
 * what to do, or undefined when it can. pnpm runs scripts on the project's own Node (the `node`
 * devDependency), so the usual way in is `pnpm run pipeline`; started with an older `node` on
 * the PATH, the launcher's first import failed with a SyntaxError that named neither.
 *
 * @param {string} version
 * @returns {string | undefined}
 */
export function unsupportedNode(version) {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, "").split(".").map(Number);
  const [minMajor = 0, minMinor = 0, minPatch = 0] = MINIMUM_NODE.split(".").map(Number);
  const order = major - minMajor || minor - minMinor || patch - minPatch;
  if (order >= 0) return undefined;
  return `pipeline: Node ${version} is older than the ${MINIMUM_NODE} it needs; run it as \`pnpm run pipeline\` after \`pnpm install\` (the project's own Node), or put Node ${MINIMUM_NODE} or newer on the PATH`;
}
