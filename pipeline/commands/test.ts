import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "test",
  summary:
    "typecheck, lint, unit tests of every service and of the tooling, integration tests, coverage gate [--service <name>]...",
  // The static checks are in the same graph so they run beside the tests, not after them.
  parts: ["typecheck", "lint", "test", "tooling", "integration", "coverage"],
  serviceParts: ["test", "coverage"],
});
