import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "integration",
  summary: "integration tests: all workers together in workerd",
  parts: ["integration"],
});
