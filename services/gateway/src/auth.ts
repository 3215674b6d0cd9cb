import { bearerAuth } from "hono/bearer-auth";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env";
import { ApiError, errorBody } from "./errors";

const malformedHeader = {
  message: errorBody("invalid_authorization", "Authorization must be 'Bearer <token>'"),
};

/** POST /v1/keys: only the holder of the ADMIN_TOKEN secret may mint API keys. */
export const requireAdminToken = createMiddleware<AppEnv>(async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) throw new ApiError(503, "not_configured", "ADMIN_TOKEN is not set for this worker");
  // bearerAuth compares tokens in constant time (hashing both sides first).
  return bearerAuth<AppEnv>({
    token,
    noAuthenticationHeader: {
      message: errorBody("unauthorized", "missing Authorization: Bearer <admin token>"),
    },
    invalidAuthenticationHeader: malformedHeader,
    invalidToken: { message: errorBody("unauthorized", "invalid admin token") },
  })(c, next);
});

/** Everything else under /v1 needs an API key that auth recognises. */
export const requireApiKey = bearerAuth<AppEnv>({
  verifyToken: async (key, c) => {
    const verification = await c.env.AUTH.verifyApiKey(key);
    if (verification.valid) c.set("apiKeyId", verification.keyId);
    return verification.valid;
  },
  noAuthenticationHeader: {
    message: errorBody("unauthorized", "missing Authorization: Bearer <api key>"),
  },
  invalidAuthenticationHeader: malformedHeader,
  invalidToken: { message: errorBody("unauthorized", "invalid API key") },
});
