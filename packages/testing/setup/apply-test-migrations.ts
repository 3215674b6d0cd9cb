/** A vitest setup file (sharedDatabase's `setupFile`): db's migrations on the shared TEST_DB. */
import { applyD1Migrations, env } from "cloudflare:test";
import type { SharedDatabaseEnv } from "../src/test-env.ts";

const { TEST_DB, TEST_MIGRATIONS } = env as unknown as SharedDatabaseEnv;
await applyD1Migrations(TEST_DB, TEST_MIGRATIONS);
