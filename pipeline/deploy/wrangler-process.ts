import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
// execa is imported where a process starts: loading it takes a tenth of a second or more,
// and a run that replays every step from the cache starts none.
import {
  parseWranglerOutput,
  type ServiceInfo,
  WRANGLER_OUTPUT_ENV,
  type WranglerRun,
} from "#core";
import { withRunMark } from "../host/marked-processes.js";
import type { ChildGroups } from "./child-groups.js";
import { signalExitCode } from "./interrupts.js";

export interface WranglerProcessOptions {
  repoRoot: string;
  /**
   * Runs each wrangler in its own process group under this supervision (the deploy commands
   * do); without it wrangler is an ordinary child, which a signal to the group stops at once.
   */
  children?: ChildGroups | undefined;
  /**
   * Variables for every wrangler child: credentials, and CLOUDFLARE_API_BASE_URL for the local
   * control plane. Passed through the environment only, never as arguments.
   */
  childEnv: Record<string, string>;
}

/**
 * Runs `wrangler <args>` in a service's directory with `childEnv` (credentials never in argv),
 * reading its ND-JSON output file: the deploys' runner, also the DORA command's.
 */
export function wranglerProcess(
  options: WranglerProcessOptions,
): (service: ServiceInfo, args: string[]) => Promise<WranglerRun> {
  const run = async (service: ServiceInfo, args: string[]): Promise<WranglerRun> => {
    const child = options.children?.track();
    let outputDir: string | undefined;
    try {
      outputDir = await mkdtemp(join(tmpdir(), "wrangler-output-"));
      const outputFile = join(outputDir, "output.ndjson");
      const { execa } = await import("execa");
      const subprocess = execa("wrangler", args, {
        cwd: join(options.repoRoot, service.dir),
        preferLocal: true,
        localDir: options.repoRoot,
        reject: false,
        stdin: "ignore",
        detached: options.children !== undefined,
        env: {
          ...options.childEnv,
          ...(options.children?.mark ? withRunMark(options.childEnv, options.children.mark) : {}),
          [WRANGLER_OUTPUT_ENV]: outputFile,
          WRANGLER_SEND_METRICS: "false",
          // No colour codes in output that ends up in reports.
          FORCE_COLOR: "0",
          NO_COLOR: "1",
        },
      });
      child?.started(subprocess.pid);
      const result = await subprocess;
      return {
        exitCode: result.exitCode ?? signalExitCode(result.signal ?? "") ?? 1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        records: parseWranglerOutput(await readFile(outputFile, "utf8").catch(() => "")),
        ...(child?.stopped === undefined ? {} : { stopped: child.stopped }),
      };
    } finally {
      child?.end();
      if (outputDir !== undefined) await rm(outputDir, { recursive: true, force: true });
    }
  };
  return run;
}
