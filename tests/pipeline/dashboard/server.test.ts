import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type Dashboard, startDashboard } from "../../../pipeline/dashboard/server.js";
import { recordDoraReport } from "../../../pipeline/host/record-report.js";
import { runsDir, startRunRecord } from "../../../pipeline/host/run-records.js";
import { fourWeekDoraReport } from "../../helpers/dora-report.js";
import { tempDir } from "../../helpers/fixture-repo.js";

// The dashboard's server in-process, on records written by the runners' own recorder.

let dashboard: Dashboard | undefined;

afterEach(async () => {
  await dashboard?.close();
  dashboard = undefined;
});

const quiet = { cwd: "/", env: {}, stdout: () => {}, stderr: () => {} };

/** The next server-sent event of a stream, as `event: <name>`. */
async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the stream ended after ${JSON.stringify(text)}`);
    text += decoder.decode(value);
    const event = /^event: \w+$/m.exec(text);
    if (event) return event[0];
  }
}

describe("the dashboard server", () => {
  it("lists the runs, serves a running run live and a finished one from its HTML file", async () => {
    const repo = await tempDir("dashboard-");
    dashboard = await startDashboard(repo, 0);
    expect(dashboard.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(dashboard.url)).text()).toContain('id="no-runs"');

    const record = await startRunRecord(repo, {
      kind: "steps",
      title: "pipeline ci",
      graph: [{ id: "install", title: "install", needs: [] }],
      progress: { finished: [], running: ["install"] },
    });
    const list = await (await fetch(dashboard.url)).text();
    expect(list).toContain(`<tr data-run="${record.id}">`);
    expect(list).toContain('data-status="running"');
    const live = await (await fetch(new URL(`/runs/${record.id}`, dashboard.url))).text();
    expect(live).toContain('data-status="running"');
    expect(live).toMatch(
      new RegExp(`new EventSource\\("/runs/${record.id}/events\\?since=\\w+"\\)`),
    );

    // A stream opened with the page's version waits; the run's next write sends `update`.
    const version = /since=(\w+)/.exec(live)?.[1] ?? "";
    const stream = await fetch(
      new URL(`/runs/${record.id}/events?since=${version}`, dashboard.url),
    );
    expect(stream.headers.get("content-type")).toBe("text/event-stream");
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const event = nextEvent(reader);
    const html = await record.finish(
      "passed",
      { passed: true },
      "<!doctype html><p>the report</p>",
    );
    expect(await event).toBe("event: update");
    await reader.cancel();
    expect(html).toBe(join(runsDir(repo), `${record.id}.html`));
    expect(await (await fetch(new URL(`/runs/${record.id}`, dashboard.url))).text()).toBe(
      "<!doctype html><p>the report</p>",
    );
  });

  it("shows the latest DORA report, or how to make one", async () => {
    const repo = await tempDir("dashboard-");
    dashboard = await startDashboard(repo, 0);
    expect(await (await fetch(new URL("/dora", dashboard.url))).text()).toContain('id="no-dora"');
    expect(await recordDoraReport(repo, fourWeekDoraReport(), quiet)).toMatch(/-dora-\d+\.html$/);
    const dora = await (await fetch(new URL("/dora", dashboard.url))).text();
    expect(dora).toContain("<h1>DORA metrics: production</h1>");
    expect(dora).toContain('<canvas id="dora-frequency"');
  });

  it("answers unknown runs and paths with 404, other methods with 405, and skips a corrupt record", async () => {
    const repo = await tempDir("dashboard-");
    dashboard = await startDashboard(repo, 0);
    await writeFile(join(runsDir(repo), "20260101T000000000Z-steps-1.json"), "{ not json");
    const list = await fetch(dashboard.url);
    expect(list.status).toBe(200);
    expect(await list.text()).toContain('id="no-runs"');
    expect((await fetch(new URL("/runs/nope", dashboard.url))).status).toBe(404);
    expect((await fetch(new URL("/runs/..%2F..%2Fetc", dashboard.url))).status).toBe(404);
    expect((await fetch(new URL("/elsewhere", dashboard.url))).status).toBe(404);
    expect((await fetch(dashboard.url, { method: "POST" })).status).toBe(405);
  });

  it("follows a deploy by its progress lines: the wave it is on, then its report", async () => {
    const repo = await tempDir("dashboard-");
    dashboard = await startDashboard(repo, 0);
    const record = await startRunRecord(repo, {
      kind: "deploy",
      title: "pipeline deploy --env local",
      lines: [],
    });
    await record.update({
      lines: ["wave 1/2: db", "  → db: deploying (serving nothing yet)", "wave 2/2: auth"],
    });
    const page = await (await fetch(new URL(`/runs/${record.id}`, dashboard.url))).text();
    expect(page).toMatch(/data-state="running">… RUNNING for [^<]*: wave 2\/2: auth<\/p>/);
    expect(page).toContain("→ db: deploying (serving nothing yet)");
    expect(page).toContain(`new EventSource("/runs/${record.id}/events?since=`);
  });

  it("shows a run whose process ended before it finished as stopped, not running forever", async () => {
    const repo = await tempDir("dashboard-");
    dashboard = await startDashboard(repo, 0);
    const record = await startRunRecord(repo, {
      kind: "steps",
      title: "pipeline ci",
      graph: [{ id: "install", title: "install", needs: [] }],
      progress: { finished: [], running: ["install"] },
    });
    // The same record as a process that is gone would have left it (no process has this start).
    const file = join(runsDir(repo), `${record.id}.json`);
    const text = JSON.parse(await readFile(file, "utf8"));
    await writeFile(
      file,
      JSON.stringify({ ...text, owner: { pid: process.pid, startTime: "gone" } }),
    );
    const list = await (await fetch(dashboard.url)).text();
    expect(list).toContain('data-status="stopped"');
    const page = await (await fetch(new URL(`/runs/${record.id}`, dashboard.url))).text();
    expect(page).toContain('data-state="stopped"');
    expect(page).toContain("STOPPED: the process ended before the run did, with 1 step under way");
    expect(page).not.toContain("EventSource");
  });
});
