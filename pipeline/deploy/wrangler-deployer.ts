import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { z } from "zod";
import { d1MigrationDatabases } from "../../dagger/src/core/deploy/d1-migrations.js";
import {
  DeployCommandError,
  type DeployedVersion,
  type WorkerDeployer,
} from "../../dagger/src/core/deploy/ports.js";
import type { DeployTarget, ServiceInfo } from "../../dagger/src/core/services/catalog.js";
import { redactor } from "./redact.js";

/** Cloudflare API code for "this Worker does not exist": the first deploy of a service. */
const WORKER_NOT_FOUND_CODES = new Set([10007, 10090]);

/** The fields we read from wrangler's ND-JSON records (`deploy` and `command-failed`). */
const outputRecordSchema = z.object({
  type: z.string(),
  version_id: z.string().nullish(),
  targets: z.array(z.string()).nullish(),
  code: z.union([z.number(), z.string()]).nullish(),
  message: z.string().nullish(),
});
type OutputRecord = z.infer<typeof outputRecordSchema>;

const deploymentsSchema = z.array(
  z.object({
    created_on: z.string(),
    versions: z.array(z.object({ version_id: z.string(), percentage: z.number() })),
  }),
);

export interface WranglerDeployerOptions {
  repoRoot: string;
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
}

interface WranglerResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  records: OutputRecord[];
}

/** Deploys, lists and rolls back with the real wrangler CLI, reading its ND-JSON output file. */
export function wranglerDeployer(options: WranglerDeployerOptions): WorkerDeployer {
  const redact = redactor(options.secrets);

  const run = async (
    service: ServiceInfo,
    target: DeployTarget,
    args: string[],
  ): Promise<WranglerResult> => {
    const outputDir = await mkdtemp(join(tmpdir(), "wrangler-output-"));
    const outputFile = join(outputDir, "output.ndjson");
    try {
      const result = await execa("wrangler", [...args, ...envArgs(target)], {
        cwd: join(options.repoRoot, service.dir),
        preferLocal: true,
        localDir: options.repoRoot,
        reject: false,
        stdin: "ignore",
        env: {
          ...options.childEnv,
          WRANGLER_OUTPUT_FILE_PATH: outputFile,
          WRANGLER_SEND_METRICS: "false",
          // No update checks or colour codes in output that ends up in reports.
          WRANGLER_HIDE_BANNER: "true",
          FORCE_COLOR: "0",
        },
      });
      return {
        exitCode: result.exitCode ?? 1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        records: await readRecords(outputFile),
      };
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  };

  const failure = (command: string, result: WranglerResult): DeployCommandError => {
    const failed = result.records.find((record) => record.type === "command-failed");
    const message = failed?.message || lastLines(`${result.stderr}\n${result.stdout}`);
    return new DeployCommandError(command, redact(message));
  };

  return {
    async deploymentHistory(service, target) {
      const result = await run(service, target, ["deployments", "list", "--json"]);
      if (result.exitCode !== 0) {
        const failed = result.records.find((record) => record.type === "command-failed");
        if (WORKER_NOT_FOUND_CODES.has(Number(failed?.code))) {
          return [];
        }
        throw failure("wrangler deployments list", result);
      }
      const deployments = deploymentsSchema.parse(JSON.parse(jsonPart(result.stdout)));
      return deployments
        .sort((a, b) => a.created_on.localeCompare(b.created_on))
        .flatMap((deployment) => {
          const main = [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0];
          return main ? [main.version_id] : [];
        });
    },

    async deploy(service, target): Promise<DeployedVersion> {
      const config = await readFile(join(options.repoRoot, service.dir, "wrangler.jsonc"), "utf8");
      for (const database of d1MigrationDatabases(config, target)) {
        const migrated = await run(service, target, [
          "d1",
          "migrations",
          "apply",
          database,
          "--remote",
        ]);
        if (migrated.exitCode !== 0) {
          throw failure(`wrangler d1 migrations apply ${database}`, migrated);
        }
      }
      const secretsFile = await options.secretsFile?.(service);
      const result = await run(service, target, [
        "deploy",
        ...(secretsFile ? ["--secrets-file", secretsFile] : []),
      ]);
      if (result.exitCode !== 0) {
        throw failure("wrangler deploy", result);
      }
      const record = result.records.find((item) => item.type === "deploy");
      const versionId = record?.version_id;
      if (!versionId) {
        throw new DeployCommandError(
          "wrangler deploy",
          "succeeded but wrote no version_id to WRANGLER_OUTPUT_FILE_PATH",
        );
      }
      return { versionId, urls: record?.targets ?? [] };
    },

    async rollback(service, target, versionId, message) {
      const result = await run(service, target, ["rollback", versionId, "-m", message, "-y"]);
      if (result.exitCode !== 0) {
        throw failure("wrangler rollback", result);
      }
    },

    manualRollbackCommand(service, target, versionId) {
      const wrangler = [
        options.manualEnvPrefix,
        `pnpm exec wrangler rollback ${versionId} -c ${service.dir}/wrangler.jsonc`,
        ...envArgs(target),
        '-y -m "finish pipeline rollback"',
      ];
      return `pnpm pipeline rollback --service ${service.name} --env ${target} --to ${versionId}  (or: ${wrangler.filter(Boolean).join(" ")})`;
    },
  };
}

/** "local" is the top level of wrangler.jsonc; the others are its env sections. */
function envArgs(target: DeployTarget): string[] {
  return target === "local" ? [] : ["--env", target];
}

async function readRecords(file: string): Promise<OutputRecord[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .flatMap((line) => {
      const parsed = outputRecordSchema.safeParse(JSON.parse(line));
      return parsed.success ? [parsed.data] : [];
    });
}

/** `deployments list --json` prints the JSON array; warnings may precede it on stdout. */
function jsonPart(stdout: string): string {
  const start = stdout.indexOf("[");
  return start === -1 ? stdout : stdout.slice(start);
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-8).join("\n");
}
