import "./zod-without-jit.js";
import { dropOutputOnceClosed } from "./host/closed-output.js";
import { shareCompileCache } from "./host/compile-cache.mjs";
import { runCli } from "./run-cli.js";

// pipeline/launch.mjs turns V8's code cache on before the bundle loads; run from the sources
// (`node --import tsx pipeline/cli.ts`), this still hands it to the processes the run starts.
// The import above is static: a dynamic one made esbuild wrap every module of the bundle in a
// lazy initializer, which kept it from leaving out what the CLI never uses.
shareCompileCache(process.env);
dropOutputOnceClosed(process.stdout);
dropOutputOnceClosed(process.stderr);

process.exitCode = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
});
