import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { type RecoverReport, renderRecover, runRecover, withDeployLock } from "#core";
import { UsageError } from "../command.js";
import { type CommandSpec, defineCommand } from "../command-spec.js";
import { currentHolder, fileLockStore } from "../deploy/file-lock-store.js";
import { hostRecoverContext } from "../deploy/recovery.js";
import { ciRunId } from "../deploy/run-id.js";
import { requireEnvFlag } from "../env-flag.js";
import { loadWorkspace, workspaceCwd } from "../host/workspace.js";
import { ENV, REPO } from "./options.js";

const spec = {
  summary: "put every service a cut-short deploy touched back on its pre-run version",
  options: {
    env: { ...ENV, description: "the environment to recover (required)" },
    run: {
      value: "<run-id>",
      description:
        "the run to recover when no journal names one, found in the deployment history (default in CI: this workflow run's; PIPELINE_RUN_ID when set)",
    },
    "dry-run": { description: "show what would be put back and change nothing" },
    json: { value: "<file>", description: "also write the report as JSON to <file>" },
    ...REPO,
  },
  examples: [
    "pnpm run pipeline recover --env @local",
    "pnpm run pipeline recover --env production --run gh-9812345678-1 --dry-run",
  ],
} as const satisfies CommandSpec;

export const recover = defineCommand(spec, {
  async run(flags, context) {
    const { root, catalog } = await loadWorkspace(
      workspaceCwd(context.cwd, flags.repo),
      context.env,
    );
    const target = requireEnvFlag(catalog, flags.env);
    if (flags.run !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(flags.run)) {
      throw new UsageError(
        `--run: "${flags.run}" is not a run id (letters, digits, ".", "_" and "-", up to 40, e.g. gh-9812345678-1)`,
      );
    }
    const options = { dryRun: flags["dry-run"] === true, run: flags.run ?? ciRunId(context.env) };
    const recoverContext = await hostRecoverContext(root, catalog, target, context);
    const report: RecoverReport = options.dryRun
      ? await runRecover(recoverContext, options)
      : await withDeployLock(
          fileLockStore(root),
          target,
          currentHolder(new Date()),
          Date.now(),
          context.stderr,
          () => runRecover(recoverContext, options),
        );
    context.stdout(renderRecover(report));
    if (flags.json) {
      await writeFile(resolve(context.cwd, flags.json), `${JSON.stringify(report, null, 2)}\n`);
    }
    return report.ok ? 0 : 1;
  },
});
