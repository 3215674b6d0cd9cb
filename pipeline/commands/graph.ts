import { deployWaves, renderGraph, serviceGraph } from "#core";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { defaultGraphTarget, requireEnvFlag } from "../env-flag.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ENV, REPO } from "./options.js";

const spec = {
  summary: "the service graph (workspace dependencies and service bindings) and its deploy waves",
  options: {
    env: {
      ...ENV,
      description: "whose bindings to follow (default: production where declared, else local)",
    },
    json: { description: "print JSON on stdout instead of text" },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline graph --env staging",
    "pnpm run pipeline graph --repo ../other-repo --json",
  ],
} as const satisfies CommandSpec;

export const graph = defineCommand(spec, {
  async run(flags, context) {
    const { catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo), context.env);
    const target =
      flags.env === undefined ? defaultGraphTarget(catalog) : requireEnvFlag(catalog, flags.env);
    const graph = serviceGraph(catalog, target);
    const waves = deployWaves(catalog, target);
    context.stdout(
      flags.json ? JSON.stringify({ ...graph, waves }, null, 2) : renderGraph(graph, waves),
    );
    return 0;
  },
});
