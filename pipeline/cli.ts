import { shareCompileCache } from "./host/compile-cache.mjs";

// Before anything else loads, so the pipeline's own modules come from the cache too.
shareCompileCache(process.env);
const { runCli } = await import("./run-cli.js");

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
