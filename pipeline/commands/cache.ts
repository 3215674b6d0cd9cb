import { UsageError } from "../command.js";
import { defineGroup, type GroupSpec } from "../command-spec.js";
import { findRepoRoot } from "../host/repo-root.js";
import { checkoutCache } from "../host/step-cache.js";
import { workspaceCwd } from "../host/workspace.js";
import { REPO } from "./options.js";

const spec = {
  summary: "the step cache in .pipeline/cache: what it holds, and pruning it",
  examples: ["pnpm run pipeline cache status", "pnpm run pipeline cache prune --max-size 200"],
  actions: {
    status: {
      summary: "how many steps the cache holds, its size and its bound (PIPELINE_CACHE_MAX_MB)",
      options: { json: { description: "print JSON on stdout instead of text" }, ...REPO },
      examples: ["pnpm run pipeline cache status", "pnpm run pipeline cache status --json"],
    },
    prune: {
      summary: "remove the least recently used entries until the cache fits its bound",
      options: {
        "max-size": {
          value: "<MB>",
          description:
            "the size to prune to, in megabytes, 0 to empty it (default: PIPELINE_CACHE_MAX_MB, else 1024)",
        },
        ...REPO,
      },
      examples: ["pnpm run pipeline cache prune", "pnpm run pipeline cache prune --max-size 0"],
    },
  },
} as const satisfies GroupSpec;

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function openCache(cwd: string, repo: string | undefined, env: NodeJS.ProcessEnv) {
  return checkoutCache(findRepoRoot(workspaceCwd(cwd, repo)), env);
}

export const cache = defineGroup(spec, {
  status: {
    async run(flags, context) {
      const status = await openCache(context.cwd, flags.repo, context.env).status();
      if (flags.json) {
        context.stdout(JSON.stringify(status, null, 2));
        return 0;
      }
      context.stdout(
        [
          `step cache ${status.dir}: ${status.entries} entries, ${megabytes(status.bytes)} of ${megabytes(status.maxBytes)}`,
          ...(status.oldest && status.newest
            ? [`least recently used ${status.oldest}, most recently ${status.newest}`]
            : []),
        ].join("\n"),
      );
      return 0;
    },
  },
  prune: {
    async run(flags, context) {
      const raw = flags["max-size"];
      const mb = raw === undefined ? undefined : Number(raw);
      if (mb !== undefined && (!Number.isFinite(mb) || mb < 0 || raw?.trim() === "")) {
        throw new UsageError(`--max-size: "${raw}" is not a size in megabytes (0 or more)`);
      }
      const store = openCache(context.cwd, flags.repo, context.env);
      const { removed, freedBytes } = await store.prune(
        mb === undefined ? undefined : mb * 2 ** 20,
      );
      const { entries, bytes } = await store.status();
      context.stdout(
        `removed ${removed} entries (${megabytes(freedBytes)}); ${entries} left, ${megabytes(bytes)}`,
      );
      return 0;
    },
  },
});
