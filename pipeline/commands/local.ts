import {
  ensureLocalCloud,
  type LocalCloudOptions,
  type LocalCloudStatus,
  localCloudStatus,
  stopLocalCloud,
} from "@workers/local-cloud";
import { UsageError } from "../command.js";
import type { CommandRunner } from "../command-spec.js";
import type { local as spec } from "./registry.js";

function renderStatus(status: LocalCloudStatus): string {
  if (!status.running) return `local control plane: not running (state in ${status.stateDir})`;
  const lines = [
    `local control plane: running (pid ${status.pid}) at ${status.apiBaseUrl}, account ${status.accountId}`,
  ];
  if (status.workers.length === 0) lines.push("  no workers deployed yet");
  for (const worker of status.workers) {
    const health = worker.health.ok
      ? `healthy (${worker.health.status})`
      : `UNHEALTHY (${worker.health.status ?? worker.health.error})`;
    lines.push(
      `  ${worker.name}  ${worker.url ?? "-"}  version ${worker.activeVersionId ?? "none"}  ${health}`,
    );
  }
  return lines.join("\n");
}

type Actions = (typeof spec)["actions"];

function stateDirOption(stateDir: string | undefined): LocalCloudOptions {
  return stateDir === undefined ? {} : { stateDir };
}

export const command: { [A in keyof Actions]: CommandRunner<Actions[A]["options"]> } = {
  start: {
    async run(flags, context) {
      const port = Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port: "${flags.port}" is not a port number (0-65535)`);
      }
      const handle = await ensureLocalCloud(context.cwd, {
        ...stateDirOption(flags["state-dir"]),
        port,
      });
      context.stdout(
        `local control plane running (pid ${handle.pid}) at ${handle.apiBaseUrl}, account ${handle.accountId}; log ${handle.logFile}`,
      );
      return 0;
    },
  },
  stop: {
    async run(flags, context) {
      const stopped = await stopLocalCloud(context.cwd, stateDirOption(flags["state-dir"]));
      context.stdout(
        stopped ? "local control plane stopped" : "local control plane was not running",
      );
      return 0;
    },
  },
  /**
   * Exit codes: 0 running and every worker healthy, 1 a worker is unhealthy, 3 not running (the
   * LSB convention for "program is not running").
   */
  status: {
    async run(flags, context) {
      const status = await localCloudStatus(context.cwd, stateDirOption(flags["state-dir"]));
      context.stdout(flags.json ? JSON.stringify(status, null, 2) : renderStatus(status));
      if (!status.running) return 3;
      return status.workers.every((worker) => worker.health.ok) ? 0 : 1;
    },
  },
};
