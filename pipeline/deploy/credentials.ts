import { type DeployTarget, MissingCredentialsError, missingCredentials } from "#core";

export interface CloudflareCredentials {
  apiToken: string;
  accountId: string;
}

/** Credentials come only from the environment: never from flags, so never from argv. */
export function credentialsFromEnv(
  env: NodeJS.ProcessEnv,
  target: DeployTarget,
  /** What needs them, for the error: "reading the deployments of production". */
  action = `deploying to ${target}`,
): CloudflareCredentials {
  const apiToken = env.CLOUDFLARE_API_TOKEN?.trim() ?? "";
  const accountId = env.CLOUDFLARE_ACCOUNT_ID?.trim() ?? "";
  const missing = missingCredentials({ token: apiToken, account: accountId });
  if (missing.length > 0) {
    throw new MissingCredentialsError(action, missing, { runner: "host" });
  }
  return { apiToken, accountId };
}
