import type { DeployTarget, ServiceInfo } from "../services/catalog.js";
import { envArgs } from "./wrangler-cli.js";

/** Which runner a person repeats a rollback with: the one whose deploy needed it. */
export type RollbackRunner =
  | {
      runner: "host";
      /** Variables that point wrangler at a local control plane, shown before its command. */
      wranglerEnvPrefix?: string | undefined;
    }
  | { runner: "dagger" };

/** The command that finishes a rollback by hand, with wrangler's own as the fallback. */
export function manualRollbackCommand(
  how: RollbackRunner,
  service: ServiceInfo,
  target: DeployTarget,
  versionId: string,
): string {
  const wrangler = [
    `pnpm exec wrangler rollback ${versionId} -c ${service.wranglerFile}`,
    ...envArgs(target),
    '-y -m "finish pipeline rollback"',
  ].join(" ");
  if (how.runner === "dagger") {
    return `dagger call rollback --service ${service.name} --env ${target} --to ${versionId}  (or: ${wrangler})`;
  }
  const prefixed = how.wranglerEnvPrefix ? `${how.wranglerEnvPrefix} ${wrangler}` : wrangler;
  return `pnpm run pipeline rollback --service ${service.name} --env ${target} --to ${versionId}  (or: ${prefixed})`;
}
