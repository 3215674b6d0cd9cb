import { buildDeployPlan } from "../../dagger/src/core/deploy/build-plan.js";
import { withDeployLock } from "../../dagger/src/core/deploy/deploy-lock.js";
import { renderPlan } from "../../dagger/src/core/deploy/render-report.js";
import { runDeploy } from "../../dagger/src/core/deploy/run-deploy.js";
import { DEPLOY_TARGETS } from "../../dagger/src/core/services/catalog.js";
import { type PipelineCommand, parseCommandArgs, requireChoice, UsageError } from "../command.js";
import { chooseServices } from "../deploy/choose-services.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostDeployContext } from "../deploy/host-deploy-context.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { writeReport } from "../deploy/write-report.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { loadWorkspace } from "../host/workspace.js";

export const command: PipelineCommand = {
  summary:
    "deploy in waves with health checks, smoke tests and automatic rollback: --service <name|all>... --env <local|staging|production> [--base <ref>] [--dry-run] [--json <f>] [--summary <f>]",
  async run(args, context) {
    const flags = parseCommandArgs("deploy", args, {
      service: { type: "string", multiple: true },
      env: { type: "string" },
      base: { type: "string" },
      "dry-run": { type: "boolean" },
      json: { type: "string" },
      summary: { type: "string" },
    });
    if (flags.env === undefined) {
      throw new UsageError(`--env is required; valid values: ${DEPLOY_TARGETS.join(", ")}`);
    }
    const target = requireChoice("--env", flags.env, DEPLOY_TARGETS);
    const { root, catalog } = await loadWorkspace(context.cwd);
    const chosen = await chooseServices(catalog, root, flags.service ?? [], flags.base, context);
    if (chosen.names.length === 0) {
      context.stdout(`no services affected (${chosen.selection}): nothing to deploy`);
      return 0;
    }
    const plan = await buildDeployPlan(
      fsRepoReader(root),
      catalog,
      target,
      chosen.names,
      chosen.selection,
    );
    if (flags["dry-run"]) {
      context.stdout(renderPlan(plan));
      return 0;
    }
    const report = await withInterrupts(context, async (interrupt) => {
      const deployContext = await hostDeployContext(root, target, context, interrupt);
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, target, holder, Date.now(), context.stderr, () =>
        runDeploy(deployContext, plan),
      );
    });
    return writeReport(report, flags, context);
  },
};
