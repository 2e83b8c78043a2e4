// The pure judges and tool tables. `client_reader.ts` (the client-node adapter) is deliberately not re-exported:
// loading client-node needs --allow-env; import it from "checks/client_reader.ts" where I/O happens.
export * from "./snapshot.ts";
export * from "./verdict.ts";
export * from "./reasons.ts";
export * from "./label_selector.ts";
export * from "./tools.ts";
export * from "./namespace.ts";
export * from "./components.ts";
export * from "./match.ts";
export * from "./discovery.ts";
export * from "./workload.ts";
export * from "./endpoints.ts";
export * from "./judge.ts";
export * from "./conditions.ts";
export * from "./rollup.ts";
export * from "./gather.ts";
