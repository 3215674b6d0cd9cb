import { findService, runRollback, serviceNames, UnknownServiceError, withDeployLock } from "#core";
import { UsageError } from "../command.js";
import type { CommandRunner } from "../command-spec.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { commandDeployContext } from "../deploy/command-deploy-context.js";
import { withInterrupts } from "../deploy/interrupts.js";
import { writeReport } from "../deploy/write-report.js";
import { requireEnvFlag } from "../env-flag.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import type { rollback as spec } from "./registry.js";

export const command: CommandRunner<typeof spec.options> = {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(workspaceCwd(context.cwd, flags.repo));
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
    const report = await withInterrupts(context, async (interrupt) => {
      const deployContext = await commandDeployContext(root, target, context, interrupt);
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
