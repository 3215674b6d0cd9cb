import { ensureLocalCloud } from "@workers/local-cloud";
import {
  buildDeployPlan,
  readDeployHistory,
  renderPlan,
  resolveRollout,
  runDeploy,
  servicesIn,
  withDeployLock,
} from "#core";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { chooseServices } from "../deploy/choose-services.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostDeployContext } from "../deploy/host-deploy-context.js";
import { hostDoraPorts } from "../deploy/host-dora-ports.js";
import {
  openDeployJournal,
  reconcileUnfinishedRun,
  recoverBeforeDeploy,
} from "../deploy/host-recovery.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ENV, REPO, REPORT_FILES, ROLLOUT } from "./options.js";

const spec = {
  summary: "deploy in waves with health checks, smoke tests and automatic rollback",
  options: {
    service: {
      value: "<name|all>",
      multiple: true,
      description: "a service, a comma-separated list or all; with --base, deploys the union",
    },
    env: {
      ...ENV,
      description: "the environment to deploy to, local for the top level (required)",
    },
    base: {
      value: "<ref|deployed>",
      description:
        "also the services affected since <ref>; deployed: each service since the commit it serves",
    },
    "dry-run": { description: "print the waves and change nothing" },
    ...ROLLOUT,
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline deploy --service all --env local",
    "pnpm run pipeline deploy --base deployed --env production --dry-run --repo ../other-repo",
  ],
} as const satisfies CommandSpec;

export const deploy = defineCommand(spec, {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
    const target = requireEnvFlag(catalog, flags.env);
    // Checked before anything starts: bad rollout input changes nothing.
    const rollout = resolveRollout(target, rolloutOptions(flags), catalog.settings.rolloutStrategy);
    // First, before anything else is printed: a run to this environment that was cut short.
    const unfinished = await reconcileUnfinishedRun(
      root,
      catalog,
      target,
      context,
      flags["dry-run"] === true,
    );
    const chosen = await chooseServices(
      catalog,
      root,
      flags.service ?? [],
      flags.base,
      context,
      async () => {
        const ports = await hostDoraPorts(root, target, context.env, () => ensureLocalCloud(root));
        return readDeployHistory(ports.wrangler, servicesIn(catalog, target), target);
      },
    );
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
      const journal = openDeployJournal(root, target, context, interrupt);
      const deployContext = await hostDeployContext(
        root,
        target,
        context,
        interrupt,
        rollout,
        journal,
      );
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, target, holder, Date.now(), context.stderr, async () => {
        if (unfinished) await recoverBeforeDeploy(root, catalog, target, context);
        return runDeploy(deployContext, plan);
      });
    });
    return writeReport(report, flags, context);
  },
});
