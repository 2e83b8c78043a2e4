export * from "./schema.ts";
export * from "./types.ts";
export * from "./crds.ts";
export * from "./manifests.ts";
export * from "./duration.ts";
export * from "./labels.ts";
