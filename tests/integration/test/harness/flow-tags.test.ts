import { describe, expect, it } from "vitest";
import { HARNESS_TAG, untaggedEntries } from "../../harness/flow-tags.js";

const file = (...tests: string[][]) => ({
  type: "suite",
  tasks: [{ type: "suite", tasks: tests.map((tags) => ({ type: "test", tags })) }],
});

describe("untaggedEntries", { tags: [HARNESS_TAG] }, () => {
  it("accepts a file whose every test is tagged with every worker it called", () => {
    expect(untaggedEntries(file(["gateway", "db"], ["gateway", "db"]), ["db", "gateway"])).toEqual(
      [],
    );
  });

  it("names a called worker that a test lacks, which a filtered run would skip", () => {
    expect(untaggedEntries(file(["gateway"], ["gateway", "db"]), ["gateway", "db"])).toEqual([
      "db",
    ]);
    expect(untaggedEntries(file([]), ["schedule"])).toEqual(["schedule"]);
  });
});
