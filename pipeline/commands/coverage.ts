import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "coverage",
  parts: ["test", "coverage"],
  serviceParts: ["test", "coverage"],
});
