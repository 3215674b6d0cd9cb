import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** The variables through which the SDK's connection() finds the CLI and the engine. */
export const ENGINE_VARIABLES = [
  "_EXPERIMENTAL_DAGGER_RUNNER_HOST",
  "_EXPERIMENTAL_DAGGER_CLI_BIN",
];

/** Where `pnpm run engine:up` writes them (scripts/engine/lib.sh: ENV_FILE). */
export function engineEnvFile(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  const version: string = JSON.parse(
    readFileSync(join(repoRoot, "dagger.json"), "utf8"),
  ).engineVersion;
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "workers-dagger-engine", version, "engine.env");
}

export class NoEngineError extends Error {
  constructor(detail: string) {
    super(`no Dagger engine to run on: ${detail}; start one with pnpm run engine:up`);
    this.name = "NoEngineError";
  }
}

/**
 * Points the SDK at the engine: variables already set win, the rest come from engine:up's env
 * file. Fails in one line when there is no engine, so nothing passes silently without one.
 */
export async function useEngine(repoRoot: string): Promise<void> {
  const file = engineEnvFile(repoRoot);
  if (ENGINE_VARIABLES.some((name) => !process.env[name])) {
    if (!existsSync(file)) {
      throw new NoEngineError(`${file} does not exist`);
    }
    const set = { ...process.env };
    process.loadEnvFile(file);
    Object.assign(process.env, set);
  }
  process.env.DO_NOT_TRACK ??= "1";
  process.env.DAGGER_NO_UPDATE_CHECK ??= "1";
  const cli = process.env._EXPERIMENTAL_DAGGER_CLI_BIN ?? "";
  if (!existsSync(cli)) {
    throw new NoEngineError(`the Dagger CLI ${cli || "(unset)"} does not exist`);
  }
  const host = process.env._EXPERIMENTAL_DAGGER_RUNNER_HOST ?? "";
  const container = /^docker-container:\/\/(.+)$/.exec(host)?.[1];
  if (container && !(await dockerContainerRunning(container))) {
    throw new NoEngineError(`the engine container ${container} is not running`);
  }
}

async function dockerContainerRunning(name: string): Promise<boolean> {
  const { execa } = await import("execa");
  const result = await execa("docker", ["inspect", "-f", "{{.State.Running}}", name], {
    reject: false,
  });
  return result.exitCode === 0 && result.stdout.trim() === "true";
}
