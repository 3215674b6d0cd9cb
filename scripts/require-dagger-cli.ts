/**
 * `pnpm run test:engine` starts here: without a Dagger CLI it says what is missing in one line
 * and exits 2, so the suite never passes by testing nothing.
 */
import { daggerCli, NoDaggerCliError } from "../tests/engine/helpers/dagger-cli.js";

try {
  daggerCli();
} catch (error) {
  if (!(error instanceof NoDaggerCliError)) throw error;
  console.error(`test:engine: ${error.message}`);
  process.exit(2);
}
