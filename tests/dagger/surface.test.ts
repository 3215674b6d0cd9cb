import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { SOURCE_IGNORE } from "#core";
import { EXPECTED_SURFACE } from "./expected-surface.js";
import { moduleSourceFiles, withModuleVariant } from "./helpers/module-variant.js";
import { type ModuleSurface, scanModuleSurface } from "./helpers/sdk-internals.js";
import { checkArgumentProblems, dotEnvProblems, typeProblems } from "./helpers/surface-rules.js";

const MODULE_NAME = "workers";
const scanVariant = (edit: (indexTs: string) => string) =>
  withModuleVariant(edit, async (dir) =>
    scanModuleSurface(await moduleSourceFiles(dir), MODULE_NAME),
  );

let surface: ModuleSurface;

beforeAll(async () => {
  surface = await scanModuleSurface(await moduleSourceFiles(), MODULE_NAME);
});

describe("the module's CLI surface, as the engine's introspector reads it", () => {
  it("is exactly the expected functions, arguments, types, enums and checks", () => {
    expect(surface).toEqual(EXPECTED_SURFACE);
  });

  it("ignores in --source exactly what the engine driver leaves out of its upload", () => {
    expect(surface.objects.Workers?.constructorArgs.source?.ignore).toEqual(SOURCE_IGNORE);
  });

  it("has no check with a required argument", () => {
    expect(checkArgumentProblems(surface)).toEqual([]);
  });

  it("types every argument and result as a scalar, a module enum or an expected core type", () => {
    expect(typeProblems(surface)).toEqual([]);
  });
});

describe(".env.example", () => {
  const text = readFileSync(join(import.meta.dirname, "..", "..", ".env.example"), "utf8");

  it("fills the token and account of deploy, rollback, release and dora, as Dagger matches keys", () => {
    expect(dotEnvProblems(surface, text)).toEqual([]);
    for (const fn of ["DEPLOY", "ROLLBACK", "RELEASE", "DORA"]) {
      expect(text).toMatch(new RegExp(`^${fn}_TOKEN=env://`, "m"));
      expect(text).toMatch(new RegExp(`^${fn}_ACCOUNT=env://`, "m"));
    }
  });

  it("would flag a key Dagger never matches, and a literal secret", () => {
    expect(
      dotEnvProblems(surface, "DEPLOY_ACCOUNT_ID=env://X\n# DEPLOY_NOPE=1\nDEPLOY_TOKEN=abc123"),
    ).toEqual([
      "DEPLOY_ACCOUNT_ID fills no function argument (Dagger reads FUNCTION_ARGUMENT, underscores kept)",
      "DEPLOY_TOKEN sets the Secret deploy --token to a literal, not a reference such as env://NAME",
    ]);
  });
});

// One scan of a module broken three ways (a scan costs seconds of CPU); each check must object.
describe("the surface checks catch a broken module", () => {
  let broken: ModuleSurface;

  beforeAll(async () => {
    broken = await scanVariant((source) =>
      source
        .replace("@func()\n  @check()\n  async lint()", "@func()\n  async lint()")
        .replace("service?: string", "service: string")
        .replaceAll("DoraFormat", "Env"),
    );
  });

  it("a function that is no longer a check", () => {
    expect(broken).not.toEqual(EXPECTED_SURFACE);
    expect(broken.objects.Workers?.functions.lint?.check).toBe(false);
  });

  it("a check with a required argument", () => {
    expect(checkArgumentProblems(broken)).toEqual(["check Workers.test requires --service"]);
  });

  it("an enum named Env, which resolves to the core Env type", () => {
    // DoraFormat became Env; the other enums stay.
    expect(broken.enums).toEqual({ RolloutStrategy: EXPECTED_SURFACE.enums.RolloutStrategy });
    expect(typeProblems(broken)).toEqual(["Workers.dora --format has unexpected type Env"]);
  });
});
