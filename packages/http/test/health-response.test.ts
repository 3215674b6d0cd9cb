import { describe, expect, it } from "vitest";
import { healthBody, healthResponse } from "../src/index";

const deployed: WorkerVersionMetadata = { id: "v-123", tag: "", timestamp: "2026-01-01T00:00:00Z" };

describe("healthBody", () => {
  it("reports the id of the version that answers", () => {
    expect(healthBody("queue", deployed)).toEqual({
      service: "queue",
      version: "v-123",
      status: "ok",
    });
  });

  it("reports 'dev' where no version-metadata binding exists", () => {
    expect(healthBody("queue", undefined).version).toBe("dev");
  });

  it("adds details after the contract's fields", () => {
    expect(healthBody("email", deployed, "degraded", { message: "EMAIL_FROM is not set" })).toEqual(
      { service: "email", version: "v-123", status: "degraded", message: "EMAIL_FROM is not set" },
    );
  });
});

describe("healthResponse", () => {
  it("answers 200 with the JSON body when ok", async () => {
    const res = healthResponse("schedule", deployed);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ service: "schedule", version: "v-123", status: "ok" });
  });

  it("answers 503 when degraded, so a status-only probe fails too", async () => {
    const res = healthResponse("db", deployed, "degraded");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ service: "db", status: "degraded" });
  });
});
