import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { daggerCli, NoDaggerCliError } from "../engine/helpers/dagger-cli.js";
import { tempDir } from "../helpers/fixture-repo.js";

describe("the Dagger CLI test:engine runs", () => {
  it("is the dagger on PATH, or _EXPERIMENTAL_DAGGER_CLI_BIN when set", async () => {
    const bin = await tempDir("dagger-bin-");
    const dagger = join(bin, "dagger");
    await writeFile(dagger, "#!/bin/sh\n");
    await chmod(dagger, 0o755);
    expect(daggerCli({ PATH: `/nonexistent:${bin}` })).toBe(dagger);
    expect(daggerCli({ PATH: "", _EXPERIMENTAL_DAGGER_CLI_BIN: dagger })).toBe(dagger);
  });

  it("is missing: one line saying which", async () => {
    const empty = await tempDir("no-dagger-");
    expect(() => daggerCli({ PATH: empty })).toThrow(NoDaggerCliError);
    expect(() => daggerCli({ PATH: empty })).toThrow(/^no Dagger CLI: dagger is not on PATH; /);
    expect(() => daggerCli({ _EXPERIMENTAL_DAGGER_CLI_BIN: join(empty, "dagger") })).toThrow(
      /^no Dagger CLI: _EXPERIMENTAL_DAGGER_CLI_BIN is .*\/dagger, which does not exist; /,
    );
  });
});
