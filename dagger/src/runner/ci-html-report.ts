import { type Container, dag, type File } from "@dagger.io/dagger";
import { type RunResult, renderStepsRunHtml, type Step } from "../core/index.js";
import { WORKDIR } from "./toolchain.js";

/**
 * Chart.js's browser bundle from the installed workspace's node_modules (the repository's root
 * devDependency, what the host runner inlines too): the module runtime needs no dependency of its
 * own for it, and reads no file itself. Without it (the install failed) the report shows its
 * tables only.
 */
async function chartLibrary(installed: Container): Promise<string | undefined> {
  try {
    return await installed
      .file(`${WORKDIR}/node_modules/chart.js/dist/chart.umd.min.js`)
      .contents();
  } catch {
    return undefined;
  }
}

/** The run's HTML report, rendered by the core as on the host, as a file named report.html. */
export async function ciHtmlReport(
  steps: readonly Step[],
  run: RunResult,
  startedAt: Date,
  installed: Container,
): Promise<File> {
  const library = await chartLibrary(installed);
  const html = renderStepsRunHtml(
    {
      title: "dagger call ci",
      startedAt: startedAt.toISOString(),
      graph: steps.map((step) => ({ id: step.id, title: step.title, needs: step.needs })),
      run,
    },
    library === undefined ? {} : { chartLibrary: library },
  );
  return dag.directory().withNewFile("report.html", html).file("report.html");
}
