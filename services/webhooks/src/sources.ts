import * as z from "zod";
import type { Env } from "./env";
import type { ProviderName } from "./providers";

/** A secret binding's name, as `wrangler secret put` accepts it. */
const SecretName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, "must be an UPPER_SNAKE binding name");
/** Stripe's and our own default: deliveries signed more than five minutes ago are replays. */
const DEFAULT_TOLERANCE_SECONDS = 300;
const toleranceSeconds = z.number().int().min(1).max(3600).default(DEFAULT_TOLERANCE_SECONDS);

/**
 * One configured source. standard-webhooks takes no tolerance: its library holds a fixed
 * five-minute window that cannot be set.
 */
const SourceConfig = z.discriminatedUnion("provider", [
  z.strictObject({ provider: z.literal("github"), secret: SecretName }),
  z.strictObject({ provider: z.literal("stripe"), secret: SecretName, toleranceSeconds }),
  z.strictObject({ provider: z.literal("standard-webhooks"), secret: SecretName }),
  z.strictObject({ provider: z.literal("generic"), secret: SecretName, toleranceSeconds }),
]);

export const SOURCE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const SourceName = z.string().regex(SOURCE_PATTERN, "must be 1-64 of a-z, 0-9, '-', '_'");
const SourcesConfig = z.record(SourceName, SourceConfig);

export interface Source {
  name: string;
  provider: ProviderName;
  /** The binding holding the current secret; `<secret>_PREVIOUS` holds the one rotated out. */
  secretName: string;
  /** The current secret first, then the previous one while a rotation is under way. */
  secrets: string[];
  toleranceSeconds: number;
}

export type SourceLookup = { source: Source } | { misconfigured: string } | { unknown: string[] };

/** The configured source called `name`, with its secrets read from the environment. */
export function lookUpSource(env: Env, name: string): SourceLookup {
  const sources = SourcesConfig.safeParse(env.WEBHOOK_SOURCES);
  if (!sources.success) {
    const issues = sources.error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`);
    return { misconfigured: `WEBHOOK_SOURCES is invalid: ${issues.join("; ")}` };
  }
  const config = Object.hasOwn(sources.data, name) ? sources.data[name] : undefined;
  if (!config) return { unknown: Object.keys(sources.data) };
  const secrets = [config.secret, `${config.secret}_PREVIOUS`]
    .map((binding) => Reflect.get(env, binding))
    .filter((value): value is string => typeof value === "string" && value.length > 0);
  return {
    source: {
      name,
      provider: config.provider,
      secretName: config.secret,
      secrets,
      toleranceSeconds:
        "toleranceSeconds" in config ? config.toleranceSeconds : DEFAULT_TOLERANCE_SECONDS,
    },
  };
}
