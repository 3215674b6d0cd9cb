import { type CommandSpec, defineCommand } from "../command-spec.js";
import { ciPartRunner } from "./ci-part.js";
import { RUN_OPTIONS } from "./options.js";

const spec = {
  summary: "lint and format check (biome ci)",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline lint", "pnpm run pipeline lint --summary lint-summary.md"],
} as const satisfies CommandSpec;

export const lint = defineCommand(
  spec,
  ciPartRunner({
    name: "lint",
    parts: ["lint"],
  }),
);
