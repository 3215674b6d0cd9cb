import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorkers } from "@workers/testing/build-workers";

const serviceDir = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The real Workers these tests call, bundled for vitest.config.ts (see sharedDatabase). */
const DEPENDENCIES = ["db"];

export default function setup(): void {
  buildWorkers(serviceDir, DEPENDENCIES);
}
