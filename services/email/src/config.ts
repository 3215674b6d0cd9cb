import { ServiceError } from "@workers/db/errors";
import type { Env } from "./env";
import { HttpTransport } from "./transports/http";
import { RecordingTransport } from "./transports/recording";
import type { Transport } from "./transports/transport";

const TRANSPORTS = ["recording", "http"];

export interface EmailConfig {
  from: string;
  transport: Transport;
}

/** Misconfiguration is a 500 naming the variable, never its value (EMAIL_API_KEY is a secret). */
export function loadConfig(env: Env): EmailConfig {
  if (!env.EMAIL_FROM) throw misconfigured("EMAIL_FROM is not set");
  const kind = env.EMAIL_TRANSPORT ?? "recording";
  if (kind === "recording") return { from: env.EMAIL_FROM, transport: new RecordingTransport() };
  if (kind !== "http") {
    throw misconfigured(`EMAIL_TRANSPORT is "${kind}", expected one of ${TRANSPORTS.join(", ")}`);
  }
  if (!env.EMAIL_API_URL) throw misconfigured("EMAIL_API_URL is not set");
  if (!env.EMAIL_API_KEY) throw misconfigured("EMAIL_API_KEY is not set");
  const transport = new HttpTransport({ url: env.EMAIL_API_URL, apiKey: env.EMAIL_API_KEY });
  return { from: env.EMAIL_FROM, transport };
}

function misconfigured(reason: string): ServiceError {
  return new ServiceError("misconfigured", `email transport misconfigured: ${reason}`, 500);
}
