import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "test",
  summary:
    "unit tests of every service and of the tooling, integration tests, coverage gate [--service <name>]...",
  parts: ["test", "tooling", "integration", "coverage"],
  serviceParts: ["test", "coverage"],
});
