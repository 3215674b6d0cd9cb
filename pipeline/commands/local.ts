import {
  ensureLocalCloud,
  type LocalCloudOptions,
  type LocalCloudStatus,
  localCloudStatus,
  stopLocalCloud,
} from "@workers/local-cloud";
import { UsageError } from "../command.js";
import { defineGroup, type GroupSpec } from "../command-spec.js";
import { STATE_DIR } from "./options.js";

const spec = {
  summary: "the local Workers control plane that --env @local deploys to",
  examples: ["pnpm run pipeline local start", "pnpm run pipeline local status --json"],
  actions: {
    start: {
      summary: "start the control plane in the background, or reuse the running one",
      options: {
        port: {
          value: "<port>",
          default: "0",
          description: "port of its API when it starts, 0 for any free port (0-65535)",
        },
        ...STATE_DIR,
      },
      examples: ["pnpm run pipeline local start", "pnpm run pipeline local start --port 8787"],
    },
    stop: {
      summary: "stop the control plane and the workers it serves",
      options: STATE_DIR,
      examples: [
        "pnpm run pipeline local stop",
        "pnpm run pipeline local stop --state-dir /tmp/local-cloud",
      ],
    },
    status: {
      summary:
        "the control plane and each worker's health; exit code 0 all healthy, 1 a worker is unhealthy, 3 not running",
      options: { json: { description: "print JSON on stdout instead of text" }, ...STATE_DIR },
      examples: ["pnpm run pipeline local status", "pnpm run pipeline local status --json"],
    },
  },
} as const satisfies GroupSpec;

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

function stateDirOption(stateDir: string | undefined): LocalCloudOptions {
  return stateDir === undefined ? {} : { stateDir };
}

export const local = defineGroup(spec, {
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
});
