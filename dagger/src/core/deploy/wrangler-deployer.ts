import type { RepoReader } from "../repo-reader.js";
import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { VersionOrigin } from "./annotations.js";
import { d1MigrationDatabases } from "./d1-migrations.js";
import {
  type AppliedMigrations,
  DeployCommandError,
  type DeployedVersion,
  MigrationFailedError,
  NotStartedError,
  StoppedCommandError,
  type WorkerDeployer,
} from "./ports.js";
import {
  deployedVersion,
  isWorkerNotFound,
  parseDeploymentHistory,
  parseMigrationsApply,
  uploadedVersion,
  type WranglerRun,
  wranglerArgs,
  wranglerFailure,
} from "./wrangler-cli.js";

export interface WranglerDeployerPorts {
  /**
   * Runs `wrangler <args>` in the service's directory, with credentials only in its environment
   * and WRANGLER_OUTPUT_FILE_PATH set, and reports how it ended with its ND-JSON records.
   */
  run(service: ServiceInfo, args: string[]): Promise<WranglerRun>;
  reader: RepoReader;
  /** Strips secret values from wrangler's output before it reaches an error or a report. */
  redact?: (text: string) => string;
  /** Where this run's uploads come from, recorded in their annotations (see annotations.ts). */
  origin?: VersionOrigin | undefined;
  /** A `--secrets-file` uploaded with a service's new version (the local control plane's). */
  secretsFile?: (service: ServiceInfo) => Promise<string | undefined>;
  manualRollbackCommand: WorkerDeployer["manualRollbackCommand"];
}

/**
 * The core's WorkerDeployer over the wrangler CLI: the same commands and the same reading of
 * their output whether wrangler runs on the host (execa) or in a Dagger container.
 */
export function wranglerWorkerDeployer(ports: WranglerDeployerPorts): WorkerDeployer {
  const redact = ports.redact ?? ((text: string) => text);
  const succeeded = (result: WranglerRun) => result.exitCode === 0 && result.stopped === undefined;
  const reason = (result: WranglerRun) => result.stopped ?? redact(wranglerFailure(result));
  const failure = (command: string, result: WranglerRun) =>
    result.stopped === undefined
      ? new DeployCommandError(command, reason(result))
      : new StoppedCommandError(command, result.stopped);

  return {
    async deploymentHistory(service, target) {
      const result = await ports.run(service, wranglerArgs.deploymentsList(target));
      if (succeeded(result)) return parseDeploymentHistory(result.stdout);
      if (isWorkerNotFound(result)) return [];
      throw failure("wrangler deployments list", result);
    },

    async applyMigrations(service, target, interrupt) {
      const config = (await ports.reader.readText(`${service.dir}/wrangler.jsonc`)) ?? "{}";
      const done: AppliedMigrations[] = [];
      for (const database of d1MigrationDatabases(config, target)) {
        if (interrupt?.aborted) break;
        const result = await ports.run(service, wranglerArgs.migrate(target, database));
        const { pending, applied } = parseMigrationsApply(result.stdout);
        if (succeeded(result)) {
          done.push({ database, applied });
          continue;
        }
        const failed = pending.find((name) => !applied.includes(name));
        done.push({ database, applied, ...(failed === undefined ? {} : { failed }) });
        throw new MigrationFailedError(
          `wrangler d1 migrations apply ${database}`,
          `${failed ?? "a migration"} failed: ${reason(result)}`,
          done,
        );
      }
      return done;
    },

    async deploy(service, target, interrupt): Promise<DeployedVersion> {
      const secretsFile = await ports.secretsFile?.(service);
      if (interrupt?.aborted) throw new NotStartedError("wrangler deploy");
      const result = await ports.run(
        service,
        wranglerArgs.deploy(target, secretsFile, ports.origin),
      );
      if (!succeeded(result)) throw failure("wrangler deploy", result);
      const deployed = deployedVersion(result);
      if (!deployed) {
        throw new DeployCommandError(
          "wrangler deploy",
          "succeeded but wrote no version_id to WRANGLER_OUTPUT_FILE_PATH",
        );
      }
      return deployed;
    },

    async uploadVersion(service, target, interrupt): Promise<DeployedVersion> {
      const secretsFile = await ports.secretsFile?.(service);
      if (interrupt?.aborted) throw new NotStartedError("wrangler versions upload");
      const result = await ports.run(
        service,
        wranglerArgs.versionsUpload(target, secretsFile, ports.origin),
      );
      if (!succeeded(result)) throw failure("wrangler versions upload", result);
      const uploaded = uploadedVersion(result, workerName(service, target));
      if (!uploaded) {
        throw new DeployCommandError(
          "wrangler versions upload",
          "succeeded but wrote no version_id to WRANGLER_OUTPUT_FILE_PATH",
        );
      }
      return uploaded;
    },

    async deployVersions(service, target, split, message) {
      const result = await ports.run(service, wranglerArgs.versionsDeploy(target, split, message));
      if (!succeeded(result)) throw failure("wrangler versions deploy", result);
    },

    async rollback(service, target, versionId, message) {
      const result = await ports.run(service, wranglerArgs.rollback(target, versionId, message));
      if (!succeeded(result)) throw failure("wrangler rollback", result);
    },

    manualRollbackCommand: ports.manualRollbackCommand,
  };
}
