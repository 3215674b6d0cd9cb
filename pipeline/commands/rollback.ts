import { findService, runRollback, serviceNames, UnknownServiceError, withDeployLock } from "#core";
import { UsageError } from "../command.js";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { commandDeployContext } from "../deploy/command-deploy-context.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { LiveRun } from "../host/live-run.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ENV, REPO, REPORT_FILES } from "./options.js";

const spec = {
  summary: "roll one service back and check its health",
  options: {
    // Not `required`: the command's own check names the services, which only the workspace knows.
    service: { value: "<name>", description: "the service to roll back (required)" },
    env: { ...ENV, description: "the environment to roll back in (required)" },
    to: {
      value: "<version-id>",
      description: "the version to serve (default: the previous 100% deployment)",
    },
    ...REPO,
    ...REPORT_FILES,
  },
  examples: [
    "pnpm run pipeline rollback --service gateway --env @local",
    "pnpm run pipeline rollback --service gateway --env production --to 6b2c1f8e-4d1a-4c3b-9a7e-2f0d5c8b1e94",
  ],
} as const satisfies CommandSpec;

export const rollback = defineCommand(spec, {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
    const target = requireEnvFlag(catalog, flags.env);
    if (flags.service === undefined) {
      throw new UsageError(
        `--service <name> is required; services: ${serviceNames(catalog).join(", ")}`,
      );
    }
    const service = findService(catalog, flags.service);
    if (service === undefined) {
      throw new UnknownServiceError(flags.service, serviceNames(catalog));
    }
    if (flags.to !== undefined && !/^[A-Za-z0-9-]+$/.test(flags.to)) {
      throw new UsageError(`--to: "${flags.to}" is not a version id`);
    }
    const live = await LiveRun.start(
      root,
      "rollback",
      `pipeline rollback --service ${service.name} --env ${target}`,
      context,
    );
    const report = await withInterrupts(live.context, async (interrupt) => {
      const deployContext = await commandDeployContext(root, target, live.context, interrupt);
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, target, holder, Date.now(), context.stderr, () =>
        runRollback(deployContext, service, flags.to),
      );
    });
    return writeReport(report, flags, live.context, live);
  },
});
