/**
 * What the module's `source` argument leaves out (its `ignore` in dagger/src/index.ts). The
 * introspector reads only a literal in the decorator, so the list is written twice and
 * tests/engine-driver checks that both say the same.
 */
export const SOURCE_IGNORE = [
  "**/node_modules",
  "**/coverage",
  "**/.wrangler",
  "**/dist",
  "**/.turbo",
  "**/*.log",
  "**/.env",
  "**/.dev.vars",
  ".dagger-local",
  ".local-cloud",
  ".pipeline",
  "dagger/sdk",
];
