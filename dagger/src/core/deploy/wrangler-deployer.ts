import { readConfigFile } from "../config/read-config.js";
import type { RepoReader } from "../repo-reader.js";
import type { ServiceInfo } from "../services/catalog.js";
import { workerName } from "../services/deploy-targets.js";
import type { RunPlace, VersionOrigin } from "./annotations.js";
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
  /** Each upload's place in its run's plan, also in its annotation (see deploy-journal.ts). */
  place?: ((service: ServiceInfo) => RunPlace | undefined) | undefined;
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

  /**
   * `wrangler deploy` and `wrangler versions upload` alike: the secrets file, the last interrupt
   * check before wrangler starts, then the new version from wrangler's output file.
   */
  const newVersion = async (
    service: ServiceInfo,
    interrupt: AbortSignal | undefined,
    command: string,
    run: (
      secretsFile: string | undefined,
    ) => Promise<{ result: WranglerRun; version: DeployedVersion | undefined }>,
  ): Promise<DeployedVersion> => {
    const secretsFile = await ports.secretsFile?.(service);
    if (interrupt?.aborted) throw new NotStartedError(command);
    const { result, version } = await run(secretsFile);
    if (!succeeded(result)) throw failure(command, result);
    if (!version) {
      throw new DeployCommandError(
        command,
        "succeeded but wrote no version_id to WRANGLER_OUTPUT_FILE_PATH",
      );
    }
    return version;
  };
  return {
    async deploymentHistory(service, target) {
      const result = await ports.run(service, wranglerArgs.deploymentsList(target));
      if (succeeded(result)) return parseDeploymentHistory(result.stdout);
      if (isWorkerNotFound(result)) return [];
      throw failure("wrangler deployments list", result);
    },

    async applyMigrations(service, target, interrupt) {
      // A Worker whose config is gone (a fake in tests, a deleted service) has nothing to apply.
      const config =
        (await ports.reader.readText(service.wranglerFile)) === undefined
          ? {}
          : await readConfigFile(ports.reader, service.wranglerFile);
      const hasDefaultDir = (await ports.reader.listDirectories(service.dir)).includes(
        "migrations",
      );
      const done: AppliedMigrations[] = [];
      for (const database of d1MigrationDatabases(config, target, hasDefaultDir)) {
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

    deploy: (service, target, interrupt) =>
      newVersion(service, interrupt, "wrangler deploy", async (secretsFile) => {
        const result = await ports.run(
          service,
          wranglerArgs.deploy(target, secretsFile, ports.origin, ports.place?.(service)),
        );
        return { result, version: succeeded(result) ? deployedVersion(result) : undefined };
      }),

    uploadVersion: (service, target, interrupt) =>
      newVersion(service, interrupt, "wrangler versions upload", async (secretsFile) => {
        const result = await ports.run(
          service,
          wranglerArgs.versionsUpload(target, secretsFile, ports.origin, ports.place?.(service)),
        );
        const version = succeeded(result)
          ? uploadedVersion(result, workerName(service, target))
          : undefined;
        return { result, version };
      }),

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
