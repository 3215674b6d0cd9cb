import { join, resolve } from "node:path";

// One place that knows where the tests sit in the repository, so a test file can move to mirror
// its source without its paths breaking.
export const REPO_ROOT = resolve(import.meta.dirname, "../..");
/** Small repositories of our own, each a shape some public Workers monorepo has. */
export const FIXTURES = join(REPO_ROOT, "tests/fixtures");
