import { detectAffected } from "../../dagger/src/core/affected.js";
import { renderAffected } from "../../dagger/src/core/reports/affected-report.js";
import { type PipelineCommand, parseCommandArgs, requireRef, UsageError } from "../command.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { loadWorkspace } from "../host/workspace.js";

export const command: PipelineCommand = {
  summary: "services affected since a git ref, each with its reason: --base <ref> [--json]",
  async run(args, context) {
    const flags = parseCommandArgs("affected", args, {
      base: { type: "string" },
      json: { type: "boolean" },
    });
    if (flags.base === undefined) {
      throw new UsageError("--base <ref> is required");
    }
    const { root, catalog } = await loadWorkspace(context.cwd);
    const affected = await detectAffected(catalog, gitChangeProbe(root), requireRef(flags.base));
    if (flags.json) {
      for (const warning of affected.warnings) {
        context.stderr(warning);
      }
      context.stdout(JSON.stringify(affected, null, 2));
    } else {
      context.stdout(renderAffected(affected));
    }
    return 0;
  },
};
