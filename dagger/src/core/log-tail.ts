/** How much of a step's output a failure report shows, whichever runner ran the step. */
export const LOG_TAIL_LINES = 60;

/** The last `count` lines of a step's whole output (a container's stdout and stderr). */
export function lastLines(text: string, count = LOG_TAIL_LINES): string {
  return text.trimEnd().split("\n").slice(-count).join("\n");
}
