import {
  planRelease,
  RELEASE_STAGES,
  releaseRollouts,
  runRelease,
  systemClock,
  withDeployLock,
} from "#core";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { commandDeployContext } from "../deploy/command-deploy-context.js";
import { credentialsFromEnv } from "../deploy/credentials.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { withInterrupts } from "../deploy/interrupts.js";
import {
  openDeployJournal,
  reconcileUnfinishedRuns,
  recoverBeforeDeploy,
} from "../deploy/recovery.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { LiveRun } from "../host/live-run.js";
import { loadWorkspace } from "../host/workspace.js";
import { REPORT_FILES, ROLLOUT } from "./options.js";

const spec = {
  summary:
    "deploy to staging, validate health and smoke tests, then production; stops at the first failure",
  options: {
    service: {
      value: "<name|all>",
      multiple: true,
      description: "a service, a comma-separated list or all (default: all)",
    },
    ...ROLLOUT,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline release",
    "pnpm run pipeline release --service gateway --json release.json",
  ],
} as const satisfies CommandSpec;

export const release = defineCommand(spec, {
  async run(flags, context) {
    const options = rolloutOptions(flags);
    releaseRollouts(options);
    const { root, catalog } = await loadWorkspace(context.cwd, context.env);
    // First, before anything else is printed: a run to either stage that was cut short.
    const unfinished = await reconcileUnfinishedRuns(root, catalog, RELEASE_STAGES, context, false);
    // Both plans and both credentials are checked before staging changes at all.
    const planned = await planRelease(fsRepoReader(root), catalog, flags.service ?? [], options);
    for (const target of RELEASE_STAGES) {
      credentialsFromEnv(context.env, target);
    }
    const live = await LiveRun.start(root, "release", `pipeline release`, context);
    const report = await withInterrupts(live.context, async (interrupt) => {
      const stages = await Promise.all(
        planned.map(async ({ plan, rollout }) => ({
          plan,
          // A journal per stage: `recover --env <stage>` finds a killed release's run in its own.
          context: await commandDeployContext(
            root,
            plan.target,
            live.context,
            interrupt,
            rollout,
            openDeployJournal(root, plan.target, live.context, interrupt),
          ),
        })),
      );
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      for (const target of RELEASE_STAGES)
        interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, "staging", holder, Date.now(), context.stderr, () =>
        withDeployLock(store, "production", holder, Date.now(), context.stderr, async () => {
          await recoverBeforeDeploy(root, catalog, unfinished, context);
          return runRelease(stages, systemClock);
        }),
      );
    });
    return writeReport(report, flags, live.context, live);
  },
});
