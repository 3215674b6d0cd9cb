import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_NODE_VERSION, DEFAULT_PNPM_VERSION, readToolchainVersions } from "#core";
import { fsRepoReader } from "../../pipeline/host/fs-repo-reader.js";
import { repoRoot } from "../dagger/helpers/repo-steps.js";

const made: string[] = [];

afterEach(async () => {
  await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A repository folder holding exactly `files`, read the way the host reads repositories. */
async function repoWith(files: Record<string, string>) {
  const root = await mkdtemp(join(tmpdir(), "toolchain-"));
  made.push(root);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return readToolchainVersions(fsRepoReader(root));
}

const manifest = (fields: object) => JSON.stringify({ name: "theirs", private: true, ...fields });

describe("the Node and pnpm the containers are built with", () => {
  it("for this repository: the Node its root devDependency installs, and our pnpm", async () => {
    const versions = await readToolchainVersions(fsRepoReader(repoRoot));
    expect(versions.node).toEqual({
      version: DEFAULT_NODE_VERSION,
      image: `node:${DEFAULT_NODE_VERSION}-trixie-slim`,
      source: "package.json devDependencies.node",
    });
    expect(versions.pnpm).toEqual({
      version: DEFAULT_PNPM_VERSION,
      source: "pnpm-lock.yaml lockfileVersion 9.0",
    });
  });

  it("say nothing: our own pins", async () => {
    const versions = await repoWith({ "package.json": manifest({}) });
    expect(versions.node.image).toBe(`node:${DEFAULT_NODE_VERSION}-trixie-slim`);
    expect(versions.node.source).toBe("default");
    expect(versions.pnpm).toEqual({ version: DEFAULT_PNPM_VERSION, source: "default" });
  });

  it(".node-version wins over .nvmrc, which wins over engines; a leading v is dropped", async () => {
    const both = await repoWith({
      ".node-version": "v20.11.1\n",
      ".nvmrc": "22\n",
      "package.json": manifest({ engines: { node: ">=18" } }),
    });
    expect(both.node).toEqual({
      version: "20.11.1",
      image: "node:20.11.1-trixie-slim",
      source: ".node-version",
    });
    const nvmrc = await repoWith({ ".nvmrc": "22", "package.json": manifest({}) });
    expect(nvmrc.node.image).toBe("node:22-trixie-slim");
  });

  it("nvm's aliases: the newest LTS is our default, a named LTS line its major", async () => {
    const newest = await repoWith({ ".nvmrc": "lts/*\n" });
    expect(newest.node.version).toBe(DEFAULT_NODE_VERSION);
    const named = await repoWith({ ".nvmrc": "lts/iron" });
    expect(named.node).toEqual({ version: "20", image: "node:20-trixie-slim", source: ".nvmrc" });
  });

  it("an engines range: our default when it allows it, else the lowest release line it allows", async () => {
    const allows = await repoWith({ "package.json": manifest({ engines: { node: ">=22.12.0" } }) });
    expect(allows.node.version).toBe(DEFAULT_NODE_VERSION);
    const older = await repoWith({ "package.json": manifest({ engines: { node: "^20.9.0" } }) });
    expect(older.node).toEqual({
      version: "20",
      image: "node:20-trixie-slim",
      source: "package.json engines.node",
    });
  });

  it("pnpm from packageManager (the corepack hash dropped), then from an older lockfile", async () => {
    const pinned = await repoWith({
      "package.json": manifest({ packageManager: "pnpm@9.15.0+sha512.abcdef" }),
      "pnpm-lock.yaml": "lockfileVersion: '6.0'\n",
    });
    expect(pinned.pnpm).toEqual({ version: "9.15.0", source: "package.json packageManager" });
    const lock6 = await repoWith({
      "package.json": manifest({}),
      "pnpm-lock.yaml": "lockfileVersion: '6.0'\n\nsettings: {}\n",
    });
    expect(lock6.pnpm).toEqual({ version: "8", source: "pnpm-lock.yaml lockfileVersion 6.0" });
  });

  it("devEngines.packageManager names a pnpm range", async () => {
    const versions = await repoWith({
      "package.json": manifest({
        devEngines: { packageManager: { name: "pnpm", version: "^10" } },
      }),
    });
    expect(versions.pnpm).toEqual({
      version: "^10",
      source: "package.json devEngines.packageManager",
    });
  });
});

describe("a version the pipeline cannot build with is refused in one line naming the file", () => {
  it.each([
    [
      { ".nvmrc": "lts/argon" },
      /^\.nvmrc: "lts\/argon" is not a Node version the node image has a tag for/,
    ],
    [
      { "package.json": manifest({ engines: { node: "banana" } }) },
      /^package\.json engines\.node: "banana" is not a semver range$/,
    ],
    [
      { "package.json": manifest({ packageManager: "yarn@stable" }) },
      /^package\.json packageManager: "yarn@stable" is not a package manager at an exact version/,
    ],
    [{ "package.json": "{ not json" }, /^package\.json: ".*" is not valid JSON$/],
  ])("%j", async (files, message) => {
    await expect(repoWith(files)).rejects.toThrow(message);
  });
});
