import type { PipelineCommand } from "../command.js";

type CommandLoader = () => Promise<{ command: PipelineCommand }>;

/**
 * Every `pnpm run pipeline <name>` command, loaded lazily so a command's dependencies cost nothing to
 * the others. Adding a command is one line here plus its module in this folder.
 */
export const COMMANDS: Record<string, CommandLoader> = {
  ci: () => import("./ci.js"),
  typecheck: () => import("./typecheck.js"),
  lint: () => import("./lint.js"),
  test: () => import("./test.js"),
  integration: () => import("./integration.js"),
  coverage: () => import("./coverage.js"),
  affected: () => import("./affected.js"),
  graph: () => import("./graph.js"),
  local: () => import("./local.js"),
  deploy: () => import("./deploy.js"),
  rollback: () => import("./rollback.js"),
  release: () => import("./release.js"),
};
