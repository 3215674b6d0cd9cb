import type { DeployTarget } from "#core";

export interface CloudflareCredentials {
  apiToken: string;
  accountId: string;
}

export class MissingCredentialsError extends Error {
  constructor(action: string, missing: string[]) {
    super(`${action} needs ${missing.join(" and ")} in the environment (nothing was changed)`);
    this.name = "MissingCredentialsError";
  }
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
  const missing = [
    ...(apiToken ? [] : ["CLOUDFLARE_API_TOKEN"]),
    ...(accountId ? [] : ["CLOUDFLARE_ACCOUNT_ID"]),
  ];
  if (missing.length > 0) {
    throw new MissingCredentialsError(action, missing);
  }
  return { apiToken, accountId };
}
