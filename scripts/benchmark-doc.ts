import { readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";

export const BENCHMARKS_DOC = join(import.meta.dirname, "..", "docs", "benchmarks.md");

/**
 * Replaces the section between `<!-- name:start -->` and `<!-- name:end -->` in
 * docs/benchmarks.md (appending it the first time), leaving the other benchmarks' sections as
 * they are.
 */
export async function writeBenchmarkSection(name: string, section: string): Promise<void> {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const current = await readFile(BENCHMARKS_DOC, "utf8").catch(() => "# Benchmarks\n");
  const block = `${start}\n${section.trimEnd()}\n${end}`;
  const next =
    current.includes(start) && current.includes(end)
      ? current.slice(0, current.indexOf(start)) +
        block +
        current.slice(current.indexOf(end) + end.length)
      : `${current.trimEnd()}\n\n${block}\n`;
  await writeFile(BENCHMARKS_DOC, next);
}

/** "2 cores (model), 24 GiB": what the figures were measured on. */
export function machineDescription(): string {
  const cores = cpus();
  return `${cores.length} cores (${cores[0]?.model ?? "unknown CPU"}), ${Math.round(totalmem() / 2 ** 30)} GiB`;
}

export function loadAverage(): string {
  return (loadavg()[0] ?? 0).toFixed(2);
}
