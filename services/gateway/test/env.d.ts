import type * as Worker from "../src/index";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof Worker;
    }
    interface Env extends Worker.Env {}
  }
}
