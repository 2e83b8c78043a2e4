// The pure judges and tool tables (no I/O: talking to clusters is kube/).
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
