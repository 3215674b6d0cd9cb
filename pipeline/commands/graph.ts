import { deployWaves, serviceGraph } from "../../dagger/src/core/graph.js";
import { renderGraph } from "../../dagger/src/core/reports/graph-report.js";
import { DEPLOY_TARGETS } from "../../dagger/src/core/services/catalog.js";
import { type PipelineCommand, parseCommandArgs, requireChoice } from "../command.js";
import { loadWorkspace } from "../host/workspace.js";

export const command: PipelineCommand = {
  summary: "the service graph and its deploy waves: [--env <local|staging|production>] [--json]",
  async run(args, context) {
    const flags = parseCommandArgs("graph", args, {
      env: { type: "string", default: "production" },
      json: { type: "boolean" },
    });
    const target = requireChoice("--env", flags.env, DEPLOY_TARGETS);
    const { catalog } = await loadWorkspace(context.cwd);
    const graph = serviceGraph(catalog, target);
    const waves = deployWaves(catalog, target);
    context.stdout(
      flags.json ? JSON.stringify({ ...graph, waves }, null, 2) : renderGraph(graph, waves),
    );
    return 0;
  },
};
