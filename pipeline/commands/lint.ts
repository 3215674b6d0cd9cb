import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "lint",
  parts: ["lint"],
});
