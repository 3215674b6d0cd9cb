import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "test",
  // The static checks are in the same graph so they run beside the tests, not after them.
  parts: ["typecheck", "lint", "test", "tooling", "integration", "coverage"],
  serviceParts: ["test", "coverage"],
});
