import { shareCompileCache } from "./host/compile-cache.js";
import { runCli } from "./run-cli.js";

shareCompileCache(process.env);

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
