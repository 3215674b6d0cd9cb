import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildWorkers, bundlePath } from "@workers/testing/build-workers";

const serviceDir = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The real Workers these tests call; vitest.config.ts starts them from the bundles built here. */
const DEPENDENCIES = ["db", "email"];

export const bundleOf = (service: string) => bundlePath(serviceDir, service);

export default function setup(): void {
  buildWorkers(serviceDir, DEPENDENCIES);
}
