/**
 * `pnpm run test:engine` starts here: without an engine it says so in one line and fails, so the
 * end-to-end suite never passes silently by testing nothing.
 */
import { resolve } from "node:path";
import { NoEngineError, useEngine } from "./engine-env.js";

try {
  await useEngine(resolve(import.meta.dirname, "..", ".."));
} catch (error) {
  if (!(error instanceof NoEngineError)) throw error;
  console.error(`test:engine: ${error.message}`);
  process.exit(2);
}
