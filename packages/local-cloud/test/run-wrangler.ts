import { join, resolve } from "node:path";
import { execa } from "execa";
import type { LocalCloudHandle } from "../src/index.js";

const wranglerBin = join(
  resolve(import.meta.dirname, "../../.."),
  "node_modules/wrangler/bin/wrangler.js",
);

export interface WranglerRun {
  exitCode: number;
  /** stdout and stderr interleaved, as a user sees them. */
  output: string;
}

/** Runs the real wrangler CLI against a local control plane, never prompting. */
export async function runWrangler(
  cloud: Pick<LocalCloudHandle, "wranglerEnv">,
  cwd: string,
  args: string[],
): Promise<WranglerRun> {
  const run = await execa(process.execPath, [wranglerBin, ...args], {
    cwd,
    env: cloud.wranglerEnv,
    reject: false,
    all: true,
    stdin: "ignore",
  });
  return { exitCode: run.exitCode ?? 1, output: run.all ?? "" };
}

/** The JSON document a `--json` command prints (wrangler may log lines before it). */
export function printedJson<T>(output: string): T {
  return JSON.parse(output.slice(output.search(/^[[{]/m))) as T;
}
