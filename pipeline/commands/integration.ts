import { type CommandSpec, defineCommand } from "../command-spec.js";
import { ciPartRunner } from "./ci-part.js";
import { RUN_OPTIONS } from "./options.js";

const spec = {
  summary: "integration tests: all workers together in workerd",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline integration", "pnpm run pipeline integration --verbose"],
} as const satisfies CommandSpec;

export const integration = defineCommand(
  spec,
  ciPartRunner({
    name: "integration",
    parts: ["integration"],
  }),
);
