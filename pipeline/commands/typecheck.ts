import { type CommandSpec, defineCommand } from "../command-spec.js";
import { ciPartRunner } from "./ci-part.js";
import { RUN_OPTIONS } from "./options.js";

const spec = {
  summary: "typecheck every package (tsgo, the native TypeScript compiler)",
  options: RUN_OPTIONS,
  examples: ["pnpm run pipeline typecheck", "pnpm run pipeline typecheck --verbose"],
} as const satisfies CommandSpec;

export const typecheck = defineCommand(
  spec,
  ciPartRunner({
    name: "typecheck",
    parts: ["typecheck"],
  }),
);
