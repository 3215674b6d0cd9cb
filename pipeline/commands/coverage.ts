import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "coverage",
  summary:
    "unit tests with coverage and the 80% gate per service and for the pipeline code [--service <name>]...",
  parts: ["test", "tooling", "coverage"],
  serviceParts: ["test", "coverage"],
});
