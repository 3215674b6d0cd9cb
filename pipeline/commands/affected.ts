import { detectAffected, renderAffected, requireGitRef } from "#core";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { REPO } from "./options.js";

const spec = {
  summary: "the services affected since a git ref, one reason each",
  options: {
    base: {
      value: "<ref>",
      required: true,
      description: "compare with the merge base of <ref> (a branch, tag or commit)",
    },
    json: { description: "print JSON on stdout instead of text (warnings go to stderr)" },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline affected --base origin/main",
    "pnpm run pipeline affected --base HEAD~1 --json",
  ],
} as const satisfies CommandSpec;

export const affected = defineCommand(spec, {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
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
});
