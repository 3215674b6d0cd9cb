import { env } from "cloudflare:workers";
import type { FakeQueueControls } from "@workers/testing/fake-queue";

export const fakeQueue = env.QUEUE as unknown as FakeQueueControls;
