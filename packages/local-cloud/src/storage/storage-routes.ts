import { randomUUID } from "node:crypto";
import * as z from "zod";
import { ApiError, ErrorCode } from "../api/envelope.js";
import { jsonBody } from "../api/json-body.js";
import { paginate } from "../api/pagination.js";
import type { Router } from "../api/router.js";
import type { ControlPlane } from "../workers/control-plane.js";
import type { R2BucketRecord } from "./state-types.js";

const bucketView = (bucket: R2BucketRecord) => ({
  name: bucket.name,
  creation_date: bucket.creation_date,
  location: "local",
  storage_class: "Standard",
});

/**
 * KV namespaces and R2 buckets as resources: wrangler looks a binding's bucket up before a
 * deploy (and creates it when the lookup fails with 10006), and `wrangler kv namespace` and
 * `wrangler r2 bucket` manage them. Their data lives in the runtime (see runtime.ts).
 */
export function storageRoutes(router: Router, plane: ControlPlane): void {
  const { state } = plane;
  const namespaces = "/accounts/:account/storage/kv/namespaces";
  router
    .on("GET", namespaces, ({ url }) => paginate(url, Object.values(state.kvNamespaces)))
    .on("POST", namespaces, async ({ request }) => {
      const body = await jsonBody(request, z.object({ title: z.string().min(1) }));
      if (Object.values(state.kvNamespaces).some((ns) => ns.title === body.title)) {
        throw new ApiError(
          400,
          ErrorCode.badRequest,
          `a namespace with title "${body.title}" already exists`,
        );
      }
      const namespace = plane.ensureKvNamespace(randomUUID().replaceAll("-", ""), body.title);
      await plane.store.save();
      return namespace;
    })
    .on("GET", `${namespaces}/:namespace`, ({ params }) => {
      const namespace = state.kvNamespaces[params.namespace as string];
      if (!namespace) {
        throw new ApiError(
          404,
          ErrorCode.resourceNotFound,
          `KV namespace ${params.namespace} does not exist`,
        );
      }
      return namespace;
    })
    // R2 lists page by cursor; a list without a cursor in its answer is complete.
    .on("GET", "/accounts/:account/r2/buckets", () => ({
      buckets: Object.values(state.buckets).map(bucketView),
    }))
    .on("POST", "/accounts/:account/r2/buckets", async ({ request }) => {
      const body = await jsonBody(request, z.object({ name: z.string().min(1) }));
      const bucket = plane.ensureBucket(body.name);
      await plane.store.save();
      return bucketView(bucket);
    })
    .on("GET", "/accounts/:account/r2/buckets/:bucket", ({ params }) => {
      const bucket = state.buckets[params.bucket as string];
      if (!bucket) {
        throw new ApiError(404, ErrorCode.bucketNotFound, "The specified bucket does not exist.");
      }
      return bucketView(bucket);
    });
}
