import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import {
  envArgs,
  parseWranglerOutput,
  type RunPlace,
  type ServiceInfo,
  type VersionOrigin,
  type WorkerDeployer,
  WRANGLER_OUTPUT_ENV,
  type WranglerRun,
  wranglerWorkerDeployer,
} from "#core";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import type { ChildGroups } from "./child-groups.js";
import { signalExitCode } from "./interrupts.js";
import { redactor } from "./redact.js";

export interface WranglerDeployerOptions {
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
  /** Values that must never reach a report (the API token); redacted from wrangler's output. */
  secrets: string[];
  /** How a person repeats a rollback by hand against this control plane. */
  manualEnvPrefix?: string;
  /** A `--secrets-file` to upload with a service's new version (local deploys only). */
  secretsFile?: (service: ServiceInfo) => Promise<string | undefined>;
  /** Where this run's uploads come from, recorded in their annotations. */
  origin?: VersionOrigin | undefined;
  /** Each upload's place in its run's plan, also in its annotation. */
  place?: ((service: ServiceInfo) => RunPlace | undefined) | undefined;
}

/**
 * Runs `wrangler <args>` in a service's directory with `childEnv` (credentials never in argv),
 * reading its ND-JSON output file: the deploys' runner, also the DORA command's.
 */
export function hostWranglerRun(
  options: WranglerDeployerOptions,
): (service: ServiceInfo, args: string[]) => Promise<WranglerRun> {
  const run = async (service: ServiceInfo, args: string[]): Promise<WranglerRun> => {
    const child = options.children?.track();
    let outputDir: string | undefined;
    try {
      outputDir = await mkdtemp(join(tmpdir(), "wrangler-output-"));
      const outputFile = join(outputDir, "output.ndjson");
      const subprocess = execa("wrangler", args, {
        cwd: join(options.repoRoot, service.dir),
        preferLocal: true,
        localDir: options.repoRoot,
        reject: false,
        stdin: "ignore",
        detached: options.children !== undefined,
        env: {
          ...options.childEnv,
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

/** Deploys, lists and rolls back with the real wrangler CLI, reading its ND-JSON output file. */
export function wranglerDeployer(options: WranglerDeployerOptions): WorkerDeployer {
  const redact = redactor(options.secrets);
  const run = hostWranglerRun(options);

  return wranglerWorkerDeployer({
    run,
    reader: fsRepoReader(options.repoRoot),
    redact,
    ...(options.secretsFile ? { secretsFile: options.secretsFile } : {}),
    origin: options.origin,
    place: options.place,
    manualRollbackCommand(service, target, versionId) {
      const wrangler = [
        options.manualEnvPrefix,
        `pnpm exec wrangler rollback ${versionId} -c ${service.wranglerFile}`,
        ...envArgs(target),
        '-y -m "finish pipeline rollback"',
      ];
      return `pnpm run pipeline rollback --service ${service.name} --env ${target} --to ${versionId}  (or: ${wrangler.filter(Boolean).join(" ")})`;
    },
  });
}
