// Values for the secrets the services read. Test-only: they exist nowhere else and are handed to
// workerd as bindings, the way `wrangler secret put` would expose them in production.
export const testSecrets = {
  ADMIN_TOKEN: "integration-admin-token",
  // One per source in the webhooks worker's WEBHOOK_SOURCES, and a rotated-out GitHub secret.
  WEBHOOK_SECRET: "integration-webhook-secret",
  GITHUB_WEBHOOK_SECRET: "integration-github-secret",
  GITHUB_WEBHOOK_SECRET_PREVIOUS: "integration-github-rotated-out",
  STRIPE_WEBHOOK_SECRET: "whsec_integration_stripe",
  // A Standard Webhooks key: `whsec_` and base64.
  STANDARD_WEBHOOK_SECRET: "whsec_aW50ZWdyYXRpb24tc3RhbmRhcmQtd2ViaG9va3Mta2V5",
} as const;

// Overrides of vars for tests: no provider is reachable, so email is recorded, not sent.
export const testVars = {
  EMAIL_TRANSPORT: "recording",
} as const;
