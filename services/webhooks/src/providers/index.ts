import type { WebhookProvider } from "@workers/db";
import { generic } from "./generic";
import { github } from "./github";
import type { Provider } from "./provider";
import { standardWebhooks } from "./standard-webhooks";
import { stripe } from "./stripe";

export type { DeliveryIdentity, Provider, SignedDelivery } from "./provider";

/** Every scheme a source can name in WEBHOOK_SOURCES, by the name db stores with its events. */
export const PROVIDERS = {
  github,
  stripe,
  "standard-webhooks": standardWebhooks,
  generic,
} satisfies Record<WebhookProvider, Provider>;

export type ProviderName = keyof typeof PROVIDERS;
