/** What a reconcile asks of the work queue afterwards (controller-runtime's reconcile.Result). */
export interface Reconciled {
  /** Reconcile this key again after this many ms. */
  requeueAfter?: number;
  /** The object is gone: drop its schedule and backoff. */
  gone?: boolean;
}
