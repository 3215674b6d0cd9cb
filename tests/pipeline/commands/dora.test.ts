import { describe, expect, it } from "vitest";
import { runCli } from "../../../pipeline/run-cli.js";
import { MAIN_ROOT } from "../../helpers/temp-repo.js";

/** `pnpm run pipeline <args>` in this process, without any Cloudflare variable. */
async function cli(args: string[]) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("CLOUDFLARE_")),
  );
  const exitCode = await runCli(args, {
    cwd: MAIN_ROOT,
    env,
    stdout: (text) => stdout.push(text),
    stderr: (text) => stderr.push(text),
  });
  return { exitCode, stdout: stdout.join("\n"), stderr: stderr.join("\n") };
}

describe("pipeline dora bad input", () => {
  it.each([
    [
      ["--env", "production", "--since", "30x"],
      'pipeline dora: --since: "30x" is not a window; valid forms: <n>h, <n>d, <n>w (hours, days or weeks back from now, n a whole number from 1), e.g. 30d',
    ],
    [
      ["--env", "prod"],
      'pipeline dora: --env: unknown value "prod"; valid values: @local, staging, production',
    ],
    [
      ["--since", "7d"],
      "pipeline dora: --env <env> is required; valid values: @local, staging, production",
    ],
  ])("%j: one line naming the valid choices, exit code 2, nothing read", async (args, line) => {
    const result = await cli(["dora", ...args]);
    expect(result).toEqual({ exitCode: 2, stdout: "", stderr: line });
    expect(result.stderr.split("\n")).toHaveLength(1);
  });

  it("needs the Cloudflare credentials in the environment for staging and production", async () => {
    const result = await cli(["dora", "--env", "production"]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      "pipeline dora: reading the deployments of production needs CLOUDFLARE_API_TOKEN and CLOUDFLARE_ACCOUNT_ID in the environment (nothing was changed)",
    );
  });
});
