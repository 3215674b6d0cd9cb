import type { DeployTarget } from "../../dagger/src/core/services/catalog.js";

export interface CloudflareCredentials {
  apiToken: string;
  accountId: string;
}

export class MissingCredentialsError extends Error {
  constructor(target: DeployTarget, missing: string[]) {
    super(
      `deploying to ${target} needs ${missing.join(" and ")} in the environment (nothing was changed)`,
    );
    this.name = "MissingCredentialsError";
  }
}

/** Credentials come only from the environment: never from flags, so never from argv. */
export function credentialsFromEnv(
  env: NodeJS.ProcessEnv,
  target: DeployTarget,
): CloudflareCredentials {
  const apiToken = env.CLOUDFLARE_API_TOKEN?.trim() ?? "";
  const accountId = env.CLOUDFLARE_ACCOUNT_ID?.trim() ?? "";
  const missing = [
    ...(apiToken ? [] : ["CLOUDFLARE_API_TOKEN"]),
    ...(accountId ? [] : ["CLOUDFLARE_ACCOUNT_ID"]),
  ];
  if (missing.length > 0) {
    throw new MissingCredentialsError(target, missing);
  }
  return { apiToken, accountId };
}
