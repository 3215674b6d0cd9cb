import { ROLLOUT_OPTIONS, SOURCE_IGNORE } from "#core";
import type { ArgumentSurface, FunctionSurface, ModuleSurface } from "./helpers/sdk-internals.js";

/**
 * The module's CLI surface, exactly: the product's interface. A new function (deploy, rollback,
 * release) is added here in the same change that adds it to dagger/src/index.ts.
 */
/**
 * deploy's and release's rollout arguments: exactly the core's rollout options, by the same
 * names as the CLI's (camelCase), so a new option cannot reach one runner and not the other.
 */
const rollout: Record<string, ArgumentSurface> = Object.fromEntries(
  Object.keys(ROLLOUT_OPTIONS).map((name) => [
    name,
    { type: name === "strategy" ? "RolloutStrategy" : "String", optional: true },
  ]),
);

const container = (args: Record<string, ArgumentSurface> = {}): FunctionSurface => ({
  returns: "Container",
  check: true,
  args,
});

export const EXPECTED_SURFACE: ModuleSurface = {
  objects: {
    Workers: {
      constructorArgs: {
        source: {
          type: "Directory",
          optional: false,
          defaultPath: "/",
          ignore: SOURCE_IGNORE,
        },
      },
      functions: {
        typecheck: container(),
        lint: container(),
        test: container({ service: { type: "String", optional: true } }),
        tooling: container(),
        integration: container(),
        coverage: container(),
        ci: { returns: "String", check: false, args: { base: { type: "String", optional: true } } },
        report: {
          returns: "File",
          check: false,
          args: { base: { type: "String", optional: true } },
        },
        affected: {
          returns: "String",
          check: false,
          args: { base: { type: "String", optional: false } },
        },
        graph: {
          returns: "String",
          check: false,
          args: {
            env: { type: "String", optional: false, default: "production" },
          },
        },
        deploy: {
          returns: "String",
          check: false,
          cache: "never",
          args: {
            env: { type: "String", optional: false },
            service: { type: "String", optional: false, default: "" },
            base: { type: "String", optional: false, default: "" },
            token: { type: "Secret", optional: true },
            account: { type: "Secret", optional: true },
            dryRun: { type: "Boolean", optional: false, default: false },
            ...rollout,
            run: { type: "String", optional: true },
          },
        },
        recover: {
          returns: "String",
          check: false,
          cache: "never",
          args: {
            env: { type: "String", optional: false },
            run: { type: "String", optional: false },
            token: { type: "Secret", optional: true },
            account: { type: "Secret", optional: true },
            dryRun: { type: "Boolean", optional: false, default: false },
          },
        },
        rollback: {
          returns: "String",
          check: false,
          cache: "never",
          args: {
            service: { type: "String", optional: false },
            env: { type: "String", optional: false },
            to: { type: "String", optional: true },
            token: { type: "Secret", optional: true },
            account: { type: "Secret", optional: true },
          },
        },
        release: {
          returns: "String",
          check: false,
          cache: "never",
          args: {
            service: { type: "String", optional: false, default: "all" },
            token: { type: "Secret", optional: true },
            account: { type: "Secret", optional: true },
            ...rollout,
          },
        },
        dora: {
          returns: "String",
          check: false,
          cache: "never",
          args: {
            env: { type: "String", optional: false },
            since: { type: "String", optional: false, default: "30d" },
            format: { type: "DoraFormat", optional: false, default: "text" },
            token: { type: "Secret", optional: true },
            account: { type: "Secret", optional: true },
          },
        },
      },
    },
  },
  enums: {
    DoraFormat: { Text: "text", Markdown: "markdown", Json: "json" },
    RolloutStrategy: { Gradual: "gradual", Immediate: "immediate" },
  },
};
