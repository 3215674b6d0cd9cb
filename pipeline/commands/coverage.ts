import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "coverage",
  summary: "unit tests with coverage and the 80% gate per service [--service <name>]...",
  parts: ["test", "coverage"],
  serviceParts: ["test", "coverage"],
});
