import {
  affectedCiSteps,
  buildCiSteps,
  type CiPart,
  detectAffected,
  renderAffected,
  requireGitRef,
  requireServices,
} from "#core";
import { UsageError } from "../command.js";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { runStepsCommand } from "../run-steps-command.js";
import { REPO, RUN_OPTIONS } from "./options.js";

const spec = {
  summary: "the whole graph: install, typecheck, lint, unit tests, integration, coverage gate",
  options: {
    ...RUN_OPTIONS,
    base: {
      value: "<ref>",
      description:
        "only the services affected since the merge base with <ref> (not with --service)",
    },
    service: {
      value: "<name>",
      multiple: true,
      description: "only this service (not with --base)",
    },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline ci --base origin/main",
    "pnpm run pipeline ci --keep-going --json ci-report.json --summary ci-summary.md",
  ],
} as const satisfies CommandSpec;

export const ci = defineCommand(spec, {
  async run(flags, context) {
    if (flags.base !== undefined && flags.service !== undefined) {
      throw new UsageError("use either --base or --service, not both");
    }
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
    if (flags.service) {
      const services = requireServices(catalog, flags.service).map((service) => service.name);
      const parts: CiPart[] = ["install", "typecheck", "lint", "test", "integration", "coverage"];
      return runStepsCommand(
        "pipeline ci",
        buildCiSteps(catalog, { parts, services }),
        root,
        flags,
        context,
      );
    }
    if (flags.base === undefined) {
      return runStepsCommand("pipeline ci", buildCiSteps(catalog), root, flags, context);
    }
    const affected = await detectAffected(catalog, gitChangeProbe(root), requireGitRef(flags.base));
    context.stdout(renderAffected(affected));
    if (affected.scope === "none") {
      context.stdout("nothing to test: ci passes without running any step");
    }
    return runStepsCommand("pipeline ci", affectedCiSteps(catalog, affected), root, flags, context);
  },
});
