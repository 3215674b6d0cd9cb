import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "typecheck",
  summary: "typecheck every package (tsc)",
  parts: ["typecheck"],
});
