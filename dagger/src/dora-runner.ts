import type { Directory } from "@dagger.io/dagger";
import {
  type DeployTarget,
  type DoraReport,
  gitCommitTimes,
  parseSince,
  renderDoraJson,
  renderDoraMarkdown,
  renderDoraText,
  runDora,
  servicesIn,
} from "./core/index.js";
import { type CloudflareSecrets, DaggerDeployRunner } from "./dagger-deploy-runner.js";
import { DoraFormat } from "./dora-format.js";
import { containerCommand } from "./runner/container-change-probe.js";

const RENDER: Record<DoraFormat, (report: DoraReport) => string> = {
  [DoraFormat.Text]: renderDoraText,
  [DoraFormat.Markdown]: renderDoraMarkdown,
  [DoraFormat.Json]: renderDoraJson,
};

/**
 * The module's DORA function over the shared core: wrangler in the deploy functions' container
 * (credentials as secret variables only), git in the change probe's container (the only one
 * given `.git`).
 */
export class DaggerDoraRunner {
  constructor(private readonly source: Directory) {}

  async dora(
    target: DeployTarget,
    since: string,
    format: DoraFormat,
    secrets: CloudflareSecrets,
  ): Promise<string> {
    // Bad input fails before any container starts.
    const window = parseSince(since);
    const deploys = new DaggerDeployRunner(this.source, "dora");
    deploys.requireCredentials(secrets, `reading the deployments of ${target}`);
    const cloudflare = await deploys.cloudflareFor(
      target,
      secrets,
      `reading the deployments of ${target}`,
    );
    const report = await runDora(
      {
        wrangler: { run: (service, args) => cloudflare.wrangler(service, args) },
        commitTimes: gitCommitTimes(
          containerCommand(await deploys.gitContainer("dora's lead times")),
        ),
        now: () => Date.now(),
      },
      servicesIn(await deploys.catalog(), target),
      target,
      window,
    );
    return RENDER[format](report);
  }
}
