import { deployWaves, renderGraph, serviceGraph } from "#core";
import type { CommandRunner } from "../command-spec.js";
import { defaultGraphTarget, requireEnvFlag } from "../env-flag.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import type { graph as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    const { catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const target =
      flags.env === undefined ? defaultGraphTarget(catalog) : requireEnvFlag(catalog, flags.env);
    const graph = serviceGraph(catalog, target);
    const waves = deployWaves(catalog, target);
    context.stdout(
      flags.json ? JSON.stringify({ ...graph, waves }, null, 2) : renderGraph(graph, waves),
    );
    return 0;
  },
};
