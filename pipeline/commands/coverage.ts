import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "coverage",
  parts: ["test", "tooling", "coverage"],
  serviceParts: ["test", "coverage"],
});
