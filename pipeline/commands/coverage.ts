import { type CommandSpec, defineCommand } from "../command-spec.js";
import { ciPartRunner } from "./ci-part.js";
import { RUN_WITH_SERVICE } from "./options.js";

const spec = {
  summary: "unit tests with coverage and the 80% gate per service and for the pipeline code",
  options: RUN_WITH_SERVICE,
  examples: [
    "pnpm run pipeline coverage",
    "pnpm run pipeline coverage --service gateway --json coverage-report.json",
  ],
} as const satisfies CommandSpec;

export const coverage = defineCommand(
  spec,
  ciPartRunner({
    name: "coverage",
    parts: ["test", "tooling", "coverage"],
    serviceParts: ["test", "coverage"],
  }),
);
