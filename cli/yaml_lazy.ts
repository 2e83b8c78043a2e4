/**
 * The `yaml` package, loaded when first needed. Loading it costs `kubectl ksit status` about 30 ms of its
 * start (mostly the CommonJS wrapper, which brings in Deno's Node compatibility layer), and `status` needs it
 * only for `-o yaml` or a kubeconfig that cli/kubeconfig_yaml.ts does not read; main.ts loads it before
 * every other command.
 */
import type * as Yaml from "yaml";

/** What the CLI uses of the package. */
export interface YamlApi {
  parse: typeof Yaml.parse;
  stringify: typeof Yaml.stringify;
}

let loaded: YamlApi | undefined;

/** Loads the package (once). */
export async function loadYaml(): Promise<YamlApi> {
  if (loaded) return loaded;
  // bundled (`deno task install`), a dynamic import of a CommonJS package has its exports as `default` only
  const mod = await import("yaml");
  const api: YamlApi = typeof mod.parse === "function" ? mod : mod.default;
  return loaded = api;
}

/** The package, once `loadYaml()` has resolved. */
export function loadedYaml(): YamlApi {
  if (!loaded) throw new Error("internal error: the yaml package is not loaded yet (await loadYaml() first)");
  return loaded;
}
