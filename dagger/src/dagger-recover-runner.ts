import type { Directory } from "@dagger.io/dagger";
import {
  type DeployTarget,
  MemoryJournalStore,
  readDeployHistory,
  renderRecover,
  runRecover,
  servicesIn,
} from "./core/index.js";
import { type CloudflareSecrets, DaggerDeployRunner } from "./dagger-deploy-runner.js";

/** `dagger call recover` failed to put everything back: its report is the error. */
export class RecoverFailedError extends Error {
  constructor(report: string) {
    super(report);
    this.name = "RecoverFailedError";
  }
}

/**
 * `recover` in the Dagger module. A function keeps no journal (its container's disk goes with
 * the call), so the run is found in the deployment history by the run id its deploy was given
 * (`--run`, the CI run's): what a recovery job after a cancelled or failed deploy job does.
 */
export async function daggerRecover(
  source: Directory,
  target: DeployTarget,
  run: string,
  secrets: CloudflareSecrets,
  dryRun: boolean,
): Promise<string> {
  const runner = new DaggerDeployRunner(source, "recover", run);
  const catalog = await runner.catalog();
  const context = await runner.context(target, secrets);
  const history = await runner.cloudflareFor(
    target,
    secrets,
    `reading the deployments of ${target}`,
  );
  const report = await runRecover(
    {
      ...context,
      services: servicesIn(catalog, target),
      journals: new MemoryJournalStore(),
      readHistory: (services) =>
        readDeployHistory({ run: (info, args) => history.wrangler(info, args) }, services, target),
    },
    { dryRun, run },
  );
  const text = renderRecover(report);
  if (!report.ok) throw new RecoverFailedError(text);
  return text;
}
