import { type PipelineCommand, parseCommandArgs, UsageError } from "../command.js";
import {
  ensureLocalCloud,
  type LocalCloudStatus,
  localCloudStatus,
  stopLocalCloud,
} from "../local-cloud/index.js";

const actions = ["start", "stop", "status"] as const;

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

/**
 * Exit codes of `status`: 0 running and every worker healthy, 1 a worker is unhealthy,
 * 3 not running (the LSB convention for "program is not running").
 */
export const command: PipelineCommand = {
  summary:
    "the local Workers control plane: start [--port <n>] | stop | status [--json] (--state-dir <dir> overrides .local-cloud)",
  async run(args, context) {
    const [action, ...rest] = args;
    if (!(actions as readonly string[]).includes(action ?? "")) {
      throw new UsageError(
        `${action === undefined ? "missing action" : `unknown action "${action}"`}; valid actions: ${actions.join(", ")}`,
      );
    }
    const flags = parseCommandArgs(`local ${action}`, rest, {
      "state-dir": { type: "string" },
      ...(action === "start" && { port: { type: "string" } }),
      ...(action === "status" && { json: { type: "boolean" } }),
    });
    const stateDir = flags["state-dir"] as string | undefined;
    const options = stateDir === undefined ? {} : { stateDir };
    if (action === "start") {
      const port = flags.port === undefined ? 0 : Number(flags.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`--port: "${flags.port}" is not a port number (0-65535)`);
      }
      const handle = await ensureLocalCloud(context.cwd, { ...options, port });
      context.stdout(
        `local control plane running (pid ${handle.pid}) at ${handle.apiBaseUrl}, account ${handle.accountId}; log ${handle.logFile}`,
      );
      return 0;
    }
    if (action === "stop") {
      const stopped = await stopLocalCloud(context.cwd, options);
      context.stdout(
        stopped ? "local control plane stopped" : "local control plane was not running",
      );
      return 0;
    }
    const status = await localCloudStatus(context.cwd, options);
    context.stdout(flags.json ? JSON.stringify(status, null, 2) : renderStatus(status));
    if (!status.running) return 3;
    return status.workers.every((worker) => worker.health.ok) ? 0 : 1;
  },
};
