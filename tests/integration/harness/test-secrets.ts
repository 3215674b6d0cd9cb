// Values for the secrets the services read. Test-only: they exist nowhere else and are handed to
// workerd as bindings, the way `wrangler secret put` would expose them in production.
export const testSecrets = {
  ADMIN_TOKEN: "integration-admin-token",
  WEBHOOK_SECRET: "integration-webhook-secret",
} as const;

// Overrides of vars for tests: no provider is reachable, so email is recorded, not sent.
export const testVars = {
  EMAIL_TRANSPORT: "recording",
} as const;
