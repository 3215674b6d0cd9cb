import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./env";
import { ApiError, handleError, handleNotFound } from "./errors";
import { aggregateHealth } from "./health";
import { v1 } from "./routes";

/** Every body the API accepts is a small JSON document. */
export const MAX_BODY_BYTES = 64 * 1024;

export const app = new Hono<AppEnv>()
  .use(requestId())
  .use(
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "OPTIONS"],
      allowHeaders: ["authorization", "content-type", "x-request-id", "x-signature"],
      exposeHeaders: ["x-request-id"],
      maxAge: 600,
    }),
  )
  .use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, "payload_too_large", `body exceeds ${MAX_BODY_BYTES} bytes`);
      },
    }),
  )
  .get("/health", async (c) => {
    const { body, httpStatus } = await aggregateHealth(c.env);
    return c.json(body, httpStatus);
  })
  .route("/v1", v1)
  .notFound(handleNotFound)
  .onError(handleError);
