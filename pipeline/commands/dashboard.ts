import { UsageError } from "../command.js";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { startDashboard } from "../dashboard/server.js";
import { findRepoRoot } from "../host/repo-root.js";
import { workspaceCwd } from "../host/workspace.js";
import { REPO } from "./options.js";

const spec = {
  summary: "serve the recorded runs, their reports and the DORA view at http://127.0.0.1:<port>/",
  options: {
    port: {
      value: "<n>",
      default: "8790",
      description: "the port on 127.0.0.1, 0 for any free port (0-65535)",
    },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline dashboard",
    "pnpm run pipeline dashboard --port 9000 --repo ../other-repo",
  ],
} as const satisfies CommandSpec;

export const dashboard = defineCommand(spec, {
  async run(flags, context) {
    const port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new UsageError(`--port: "${flags.port}" is not a port number (0-65535)`);
    }
    const root = findRepoRoot(workspaceCwd(context.cwd, flags.repo));
    const server = await startDashboard(root, port);
    context.stdout(`dashboard: ${server.url} (runs from ${root}/.pipeline/runs; Ctrl-C stops it)`);
    // Stopping a server is how it ends, not a failure.
    await new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await server.close();
    return 0;
  },
});
