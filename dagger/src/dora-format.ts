/** How `dagger call dora` renders its report: for a terminal, a job summary or a program. */
export enum DoraFormat {
  Text = "text",
  Markdown = "markdown",
  Json = "json",
}
