import { buildDeployPlan } from "../../dagger/src/core/deploy/build-plan.js";
import { withDeployLock } from "../../dagger/src/core/deploy/deploy-lock.js";
import { renderPlan } from "../../dagger/src/core/deploy/render-report.js";
import { resolveRollout } from "../../dagger/src/core/deploy/rollout-policy.js";
import { runDeploy } from "../../dagger/src/core/deploy/run-deploy.js";
import { readDeployHistory } from "../../dagger/src/core/dora/read-history.js";
import { servicesIn } from "../../dagger/src/core/services/deploy-targets.js";
import type { CommandRunner } from "../command-spec.js";
import { chooseServices } from "../deploy/choose-services.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostDeployContext } from "../deploy/host-deploy-context.js";
import { hostDoraPorts } from "../deploy/host-dora-ports.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ensureLocalCloud } from "../local-cloud/index.js";
import type { deploy as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const target = requireEnvFlag(catalog, flags.env);
    // Checked before anything starts: bad rollout input changes nothing.
    const rollout = resolveRollout(target, rolloutOptions(flags), catalog.settings.rolloutStrategy);
    const chosen = await chooseServices(
      catalog,
      target,
      root,
      flags.service ?? [],
      flags.base,
      context,
      async () => {
        const ports = await hostDoraPorts(root, target, context.env, () => ensureLocalCloud(root));
        return readDeployHistory(ports.wrangler, servicesIn(catalog, target), target);
      },
    );
    for (const line of chosen.leftOut) {
      context.stderr(line);
    }
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
      context.stdout(renderPlan(plan, rollout));
      return 0;
    }
    const report = await withInterrupts(context, async (interrupt) => {
      const deployContext = await hostDeployContext(root, target, context, interrupt, rollout);
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
