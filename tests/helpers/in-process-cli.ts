import { runCli } from "../../pipeline/run-cli.js";

/** `pnpm run pipeline <args>` run in this process, its output collected as the CLI prints it. */
export async function runPipeline(
  args: string[],
  { cwd, env }: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exitCode = await runCli(args, {
    cwd,
    env,
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
  });
  return { exitCode, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}
