/** The verdict on one workload (or one Service's endpoints). */
import type { ComponentHealth, WorkloadKind } from "../api/types.ts";

export interface Verdict {
  kind: WorkloadKind;
  /** Name of the judged Deployment, StatefulSet or Service. */
  workload: string;
  status: ComponentHealth;
  /** CamelCase, see `reasons.ts`. */
  reason: string;
  /** available/desired replicas (ready/total endpoints for a Service), e.g. "1/2". */
  ready: string;
  /** One line a human can act on, starting with the workload name: "argocd-repo-server: 0/2 available". */
  message: string;
  /** The numbers behind `ready`, so a component can sum them over several workloads. */
  available: number;
  desired: number;
}
