import { withDeployLock } from "../../dagger/src/core/deploy/deploy-lock.js";
import { runRollback } from "../../dagger/src/core/deploy/run-rollback.js";
import {
  DEPLOY_TARGETS,
  findService,
  serviceNames,
  UnknownServiceError,
} from "../../dagger/src/core/services/catalog.js";
import { type PipelineCommand, parseCommandArgs, requireChoice, UsageError } from "../command.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostDeployContext } from "../deploy/host-deploy-context.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { writeReport } from "../deploy/write-report.js";
import { loadWorkspace } from "../host/workspace.js";

export const command: PipelineCommand = {
  summary:
    "roll one service back and check its health: --service <name> --env <local|staging|production> [--to <version-id>] [--json <f>] [--summary <f>]",
  async run(args, context) {
    const flags = parseCommandArgs("rollback", args, {
      service: { type: "string" },
      env: { type: "string" },
      to: { type: "string" },
      json: { type: "string" },
      summary: { type: "string" },
    });
    if (flags.env === undefined) {
      throw new UsageError(`--env is required; valid values: ${DEPLOY_TARGETS.join(", ")}`);
    }
    const target = requireChoice("--env", flags.env, DEPLOY_TARGETS);
    const { root, catalog } = await loadWorkspace(context.cwd);
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
    const report = await withInterrupts(context, async (interrupt) => {
      const deployContext = await hostDeployContext(root, target, context, interrupt);
      const store = fileLockStore(root);
      const holder = currentHolder(new Date());
      interrupt.beforeHardExit(() => store.remove(target, holder));
      return withDeployLock(store, target, holder, Date.now(), context.stderr, () =>
        runRollback(deployContext, service, flags.to),
      );
    });
    return writeReport(report, flags, context);
  },
};
