import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { readJsonFile, writeJsonFile } from "@workers/host-state";
import * as z from "zod";
import type { ServiceInfo } from "#core";

const secretsSchema = z.record(z.string(), z.string());

/** Gitignored with the control plane's own state. */
export const LOCAL_SECRETS_DIR = ".local-cloud/secrets";

/**
 * Secrets for `--env @local`, so a fresh clone deploys without anyone running `wrangler secret
 * put`. The names come from the service's committed `.dev.vars.example`; each value is random,
 * generated once and kept in `.local-cloud/secrets/<service>.json` (read it to call the
 * gateway's admin routes). Returns the JSON file to pass as `--secrets-file` (JSON, because
 * wrangler lets process variables override dotenv files), or undefined when none are declared.
 */
export async function localSecretsFile(
  repoRoot: string,
  service: ServiceInfo,
): Promise<string | undefined> {
  const example = await readFile(join(repoRoot, service.dir, ".dev.vars.example"), "utf8").catch(
    () => undefined,
  );
  const names = (example ?? "")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split("=")[0]?.trim() ?? "")
    .filter((name) => /^[A-Z_][A-Z0-9_]*$/.test(name));
  if (names.length === 0) {
    return undefined;
  }
  const file = join(repoRoot, LOCAL_SECRETS_DIR, `${service.name}.json`);
  const existing =
    (await readJsonFile(
      file,
      secretsSchema,
      `restore it from ${service.name}.json.bak, or remove it to generate new secrets for ${service.name}`,
    )) ?? {};
  const secrets = Object.fromEntries(
    names.map((name) => [name, existing[name] ?? randomBytes(24).toString("hex")]),
  );
  await writeJsonFile(file, secrets, secretsSchema, { mode: 0o600 });
  return file;
}
