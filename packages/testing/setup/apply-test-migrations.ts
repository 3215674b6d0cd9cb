/** A vitest setup file (sharedDatabase's `setupFile`): db's migrations on the shared TEST_DB. */
import { applyD1Migrations, env } from "cloudflare:test";

await applyD1Migrations(env.TEST_DB, env.TEST_MIGRATIONS);
