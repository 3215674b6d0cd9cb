import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "typecheck",
  parts: ["typecheck"],
});
