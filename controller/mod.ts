export * from "./serve.ts";
export * from "./app.ts";
export * from "./controller.ts";
export * from "./metrics.ts";
export * from "./workqueue.ts";
export * from "./duration.ts";
