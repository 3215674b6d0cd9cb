import { stepsCommand } from "../steps-command.js";

export const command = stepsCommand({
  name: "lint",
  summary: "lint and format check (biome ci)",
  parts: ["lint"],
});
