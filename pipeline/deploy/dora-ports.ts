import { type DeployTarget, type DoraPorts, gitCommitTimes, LOCAL_TARGET } from "#core";
import { repoCommand } from "../host/git-change-probe.js";
import type { LocalCloudEndpoint } from "./cloudflare-ports.js";
import { credentialsFromEnv } from "./credentials.js";
import { redactor } from "./redact.js";
import { wranglerProcess } from "./wrangler-process.js";

/**
 * What the DORA command reads through on the host: the deploys' wrangler runner, pointed where
 * a deploy to `target` would point it, and git in the repository. As for a deploy, staging and
 * production take the Cloudflare credentials from the environment only (and redact the token
 * from errors), and local points wrangler at the control plane with its own account.
 */
export async function doraPorts(
  repoRoot: string,
  target: DeployTarget,
  env: NodeJS.ProcessEnv,
  openLocalCloud: () => Promise<Pick<LocalCloudEndpoint, "wranglerEnv">>,
): Promise<DoraPorts> {
  const inherited = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith("CLOUDFLARE_"),
    ),
  );
  const remote = () => {
    const credentials = credentialsFromEnv(env, target, `reading the deployments of ${target}`);
    const apiBaseUrl = env.CLOUDFLARE_API_BASE_URL;
    return {
      secrets: [credentials.apiToken],
      childEnv: {
        ...inherited,
        CLOUDFLARE_API_TOKEN: credentials.apiToken,
        CLOUDFLARE_ACCOUNT_ID: credentials.accountId,
        ...(apiBaseUrl ? { CLOUDFLARE_API_BASE_URL: apiBaseUrl } : {}),
      },
    };
  };
  const { childEnv, secrets } =
    target === LOCAL_TARGET
      ? { secrets: [], childEnv: { ...inherited, ...(await openLocalCloud()).wranglerEnv } }
      : remote();
  return {
    wrangler: {
      run: wranglerProcess({ repoRoot, childEnv }),
      redact: redactor(secrets),
    },
    commitTimes: gitCommitTimes(repoCommand(repoRoot)),
    now: () => Date.now(),
  };
}
