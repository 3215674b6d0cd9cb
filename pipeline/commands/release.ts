import {
  buildDeployPlan,
  defaultStrategy,
  resolveRollout,
  runRelease,
  serviceNames,
  systemClock,
  withDeployLock,
} from "#core";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { credentialsFromEnv } from "../deploy/credentials.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostDeployContext } from "../deploy/host-deploy-context.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { LiveRun } from "../host/live-run.js";
import { loadWorkspace } from "../host/workspace.js";
import { REPORT_FILES, ROLLOUT } from "./options.js";

const STAGES = ["staging", "production"] as const;

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
    // Without --strategy, the gradual flags tune the stages that are gradual by default
    // (production); with it, every stage uses it.
    const rollouts = STAGES.map((target) =>
      resolveRollout(
        target,
        options.strategy === undefined && defaultStrategy(target) === "immediate" ? {} : options,
      ),
    );
    const { root, catalog } = await loadWorkspace(context.cwd);
    const named = (flags.service ?? []).flatMap((value) => value.split(","));
    const names = named.length === 0 || named.includes("all") ? serviceNames(catalog) : named;
    const selection = named.length === 0 ? "all services" : `--service ${named.join(",")}`;
    const reader = fsRepoReader(root);
    // Both plans and both credentials are checked before staging changes at all.
    const plans = await Promise.all(
      STAGES.map((target) => buildDeployPlan(reader, catalog, target, names, selection)),
    );
    for (const target of STAGES) {
      credentialsFromEnv(context.env, target);
    }
    const live = await LiveRun.start(root, "release", `pipeline release`, context);
    const report = await withInterrupts(live.context, async (interrupt) => {
      const stages = await Promise.all(
        plans.map(async (plan, index) => ({
          plan,
          context: await hostDeployContext(
            root,
            plan.target,
            live.context,
            interrupt,
            rollouts[index],
          ),
        })),
      );
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      for (const target of STAGES) interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, "staging", holder, Date.now(), context.stderr, () =>
        withDeployLock(store, "production", holder, Date.now(), context.stderr, () =>
          runRelease(stages, systemClock),
        ),
      );
    });
    return writeReport(report, flags, live.context, live);
  },
});
