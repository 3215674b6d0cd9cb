import type { LocalCloudHandle } from "./host-deploy-target.js";

export async function openLocalCloud(_repoRoot: string): Promise<LocalCloudHandle> {
  throw new Error("the local control plane is not available yet");
}
