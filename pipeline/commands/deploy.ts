import { ensureLocalCloud } from "@workers/local-cloud";
import {
  nothingToDeploy,
  prepareDeploy,
  readDeployHistory,
  renderPlan,
  runDeploy,
  servicesIn,
  withDeployLock,
} from "#core";
import type { CommandRunner } from "../command-spec.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { commandDeployContext } from "../deploy/command-deploy-context.js";
import { doraPorts } from "../deploy/dora-ports.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import type { deploy as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const target = requireEnvFlag(catalog, flags.env);
    // Checked before anything starts: bad rollout input changes nothing.
    const { rollout, chosen, plan } = await prepareDeploy(
      fsRepoReader(root),
      catalog,
      target,
      { services: flags.service ?? [], base: flags.base },
      rolloutOptions(flags),
      {
        changeProbe: () => gitChangeProbe(root),
        histories: async () => {
          const ports = await doraPorts(root, target, context.env, () => ensureLocalCloud(root));
          return readDeployHistory(ports.wrangler, servicesIn(catalog, target), target);
        },
        note: context.stderr,
      },
    );
    if (plan === undefined) {
      context.stdout(nothingToDeploy(chosen));
      return 0;
    }
    if (flags["dry-run"]) {
      context.stdout(renderPlan(plan, rollout));
      return 0;
    }
    const report = await withInterrupts(context, async (interrupt) => {
      const deployContext = await commandDeployContext(root, target, context, interrupt, rollout);
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
