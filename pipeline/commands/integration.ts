import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "integration",
  parts: ["integration"],
});
