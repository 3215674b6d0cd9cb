import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "test",
  parts: ["test", "tooling", "integration", "coverage"],
  serviceParts: ["test", "coverage"],
});
