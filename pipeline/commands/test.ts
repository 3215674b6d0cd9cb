import { type CommandSpec, defineCommand } from "../command-spec.js";
import { ciPartRunner } from "./ci-part.js";
import { RUN_WITH_SERVICE } from "./options.js";

const spec = {
  summary:
    "unit tests of every service and of the tooling, integration tests, coverage gate; with --service, those services' tests and coverage",
  options: RUN_WITH_SERVICE,
  examples: [
    "pnpm run pipeline test --service gateway",
    "pnpm run pipeline test --service db --service auth --verbose",
  ],
} as const satisfies CommandSpec;

export const test = defineCommand(
  spec,
  ciPartRunner({
    name: "test",
    // The static checks are in the same graph so they run beside the tests, not after them.
    parts: ["typecheck", "lint", "test", "tooling", "integration", "coverage"],
    serviceParts: ["test", "coverage"],
  }),
);
