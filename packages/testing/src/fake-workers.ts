import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Stand-ins for the services' RPC contracts, shared by every service whose tests bind to them. */
export type FakeWorker = "queue";

const FAKES_DIR = join(dirname(fileURLToPath(import.meta.url)), "../fakes");

/**
 * The module options of an auxiliary worker running the fake. Miniflare names modules by their
 * path from `modulesRoot` (the working directory by default), and workerd refuses a name that
 * climbs out with `..`, as a path from the service into packages/ would.
 */
export const fakeWorkerModules = (name: FakeWorker) => ({
  modules: true,
  modulesRoot: FAKES_DIR,
  scriptPath: join(FAKES_DIR, `${name}.js`),
});
