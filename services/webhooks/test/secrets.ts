/**
 * The test values of the secrets WEBHOOK_SOURCES names (vitest.config.ts binds them), and one
 * rotated-out secret. Test-only: they exist nowhere else.
 */
export const SECRETS = {
  GITHUB_WEBHOOK_SECRET: "github-test-secret",
  GITHUB_WEBHOOK_SECRET_PREVIOUS: "github-rotated-out-secret",
  STRIPE_WEBHOOK_SECRET: "whsec_stripe_test_secret",
  // A Standard Webhooks key is `whsec_` and the base64 of its bytes.
  STANDARD_WEBHOOK_SECRET: "whsec_c3RhbmRhcmQtd2ViaG9va3MtdGVzdC1rZXktMzI=",
  WEBHOOK_SECRET: "test-webhook-secret",
} as const;
