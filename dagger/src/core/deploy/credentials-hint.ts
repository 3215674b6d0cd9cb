/** The two Cloudflare credentials, as each runner asks for them. */
export type CloudflareCredential = "token" | "account";

/**
 * Where a runner takes the credentials from. The host reads its environment; a Dagger function
 * takes `--token`/`--account` Secrets, or `.env` defaults whose keys are prefixed with the
 * function's name.
 */
export type CredentialSource = { runner: "host" } | { runner: "dagger"; functionName: string };

const ENV_VARIABLE: Record<CloudflareCredential, string> = {
  token: "CLOUDFLARE_API_TOKEN",
  account: "CLOUDFLARE_ACCOUNT_ID",
};

/**
 * The `.env` key that fills a Dagger function's argument: the function's name in snake case, an
 * underscore, then the argument's name whole (matched case-insensitively, underscores not
 * dropped, so `accountId` is `<FN>_ACCOUNTID`). Dagger v0.21.8: core/envfile.go (Namespace,
 * cutFlexPrefix, LookupCaseInsensitive) and core/modfunc.go (UserDefaults).
 */
export function dotEnvKey(functionName: string, argumentName: string): string {
  const snake = functionName.replace(/([a-z0-9])([A-Z])/g, "$1_$2");
  return `${snake}_${argumentName}`.toUpperCase();
}

/** A deploy, rollback, release or history read that cannot start without credentials. */
export class MissingCredentialsError extends Error {
  constructor(
    /** What needs them: "deploying to production", "reading the deployments of staging". */
    action: string,
    missing: readonly CloudflareCredential[],
    source: CredentialSource,
  ) {
    super(`${action} needs ${credentialsHint(missing, source)} (nothing was changed)`);
    this.name = "MissingCredentialsError";
  }
}

function credentialsHint(missing: readonly CloudflareCredential[], source: CredentialSource) {
  if (source.runner === "host") {
    return `${missing.map((credential) => ENV_VARIABLE[credential]).join(" and ")} in the environment`;
  }
  const flags = missing.map((credential) => `--${credential}`).join(" and ");
  const references = missing
    .map((credential) => `--${credential} env://${ENV_VARIABLE[credential]}`)
    .join(" ");
  const keys = missing.map((credential) => dotEnvKey(source.functionName, credential));
  return `${flags}: pass ${references}, or set ${keys.join(" and ")} in the .env next to dagger.json`;
}

/** The credentials missing from what a runner was given, for a MissingCredentialsError. */
export function missingCredentials(
  given: Record<CloudflareCredential, unknown>,
): CloudflareCredential[] {
  return (["token", "account"] as const).filter((credential) => !given[credential]);
}
