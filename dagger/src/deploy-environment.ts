/**
 * The remote environments a deploy targets (the CLI accepts `staging` and `production`). Not
 * named `Env`: an enum with a core type's name silently resolves to that core type.
 */
export enum DeployEnvironment {
  Staging = "staging",
  Production = "production",
}
