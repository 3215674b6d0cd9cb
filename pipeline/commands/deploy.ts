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
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { commandDeployContext } from "../deploy/command-deploy-context.js";
import { doraPorts } from "../deploy/dora-ports.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { withInterrupts } from "../deploy/interrupts.js";
import {
  openDeployJournal,
  reconcileUnfinishedRuns,
  recoverBeforeDeploy,
} from "../deploy/recovery.js";
import { rolloutOptions } from "../deploy/rollout-flags.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { fsRepoReader } from "../host/fs-repo-reader.js";
import { gitChangeProbe } from "../host/git-change-probe.js";
import { LiveRun } from "../host/live-run.js";
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
      description:
        "the environment to deploy to, @local for the local control plane (the top level of each config) (required)",
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
    "pnpm run pipeline deploy --service all --env @local",
    "pnpm run pipeline deploy --base deployed --env production --dry-run --repo ../other-repo",
  ],
} as const satisfies CommandSpec;

export const deploy = defineCommand(spec, {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
    const target = requireEnvFlag(catalog, flags.env);
    // Checked before anything starts: bad rollout input changes nothing.
    // First, before anything else is printed: a run to this environment that was cut short.
    const unfinished = await reconcileUnfinishedRuns(
      root,
      catalog,
      [target],
      context,
      flags["dry-run"] === true,
    );
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
    const live = await LiveRun.start(root, "deploy", `pipeline deploy --env ${target}`, context);
    const report = await withInterrupts(live.context, async (interrupt) => {
      const journal = openDeployJournal(root, target, live.context, interrupt);
      const deployContext = await commandDeployContext(
        root,
        target,
        live.context,
        interrupt,
        rollout,
        journal,
      );
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, target, holder, Date.now(), context.stderr, async () => {
        await recoverBeforeDeploy(root, catalog, unfinished, context);
        return runDeploy(deployContext, plan);
      });
    });
    return writeReport(report, flags, live.context, live);
  },
});
