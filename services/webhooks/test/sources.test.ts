import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { lookUpSource } from "../src/sources";
import { SECRETS } from "./secrets";

const withSources = (sources: unknown) => ({ ...env, WEBHOOK_SOURCES: sources });

describe("lookUpSource", () => {
  it("reads the source's current secret, then its previous one", () => {
    expect(lookUpSource(env, "github")).toEqual({
      source: {
        name: "github",
        provider: "github",
        secretName: "GITHUB_WEBHOOK_SECRET",
        secrets: [SECRETS.GITHUB_WEBHOOK_SECRET, SECRETS.GITHUB_WEBHOOK_SECRET_PREVIOUS],
        toleranceSeconds: 300,
      },
    });
  });

  it("gives the default five-minute tolerance where none is set", () => {
    const lookup = lookUpSource(
      withSources({ ours: { provider: "generic", secret: "WEBHOOK_SECRET" } }),
      "ours",
    );
    expect(lookup).toMatchObject({
      source: { toleranceSeconds: 300, secrets: ["test-webhook-secret"] },
    });
  });

  it("names the configured sources for one that is not", () => {
    expect(lookUpSource(env, "toString")).toEqual({
      unknown: ["github", "stripe", "standard", "generic"],
    });
  });

  it("reports a broken table in one line naming each bad field", () => {
    const lookup = lookUpSource(
      withSources({
        gh: { provider: "gitlab", secret: "X" },
        ok: { provider: "standard-webhooks", secret: "lower", toleranceSeconds: 60 },
      }),
      "gh",
    );
    expect(lookup).toEqual({
      misconfigured: expect.stringMatching(
        /^WEBHOOK_SOURCES is invalid: gh\.provider: .*; ok\.secret: must be an UPPER_SNAKE binding name; ok: .*toleranceSeconds/,
      ),
    });
  });

  it("reports a missing table", () => {
    expect(lookUpSource(withSources(undefined), "github")).toMatchObject({
      misconfigured: expect.stringMatching(/^WEBHOOK_SOURCES is invalid: value: /),
    });
  });
});
