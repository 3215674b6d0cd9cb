import type { CoverageOptions } from "vitest/node";

/**
 * Every Worker and library measures the same way: istanbul over its `src/`, with "json" writing
 * the coverage map the pipeline's gate merges and judges (coverage-final.json), and vitest's own
 * thresholds failing a local run the way the gate would.
 */
export const WORKER_COVERAGE = {
  provider: "istanbul",
  include: ["src/**"],
  reporter: ["text-summary", "json-summary", "json"],
  thresholds: { lines: 80, branches: 80, functions: 80, statements: 80 },
} satisfies CoverageOptions;
