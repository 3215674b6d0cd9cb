import { detectAffected, renderAffected, requireGitRef } from "#core";
import type { CommandRunner } from "../command-spec.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import type { affected as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const affected = await detectAffected(catalog, gitChangeProbe(root), requireGitRef(flags.base));
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
