/** The identity of a namespaced object: what the work queues hold and the reconcilers take. */
export interface ObjectKey {
  readonly namespace: string;
  readonly name: string;
}

export function keyOf(o: { metadata?: { namespace?: string; name?: string } }): ObjectKey {
  return { namespace: o.metadata?.namespace ?? "", name: o.metadata?.name ?? "" };
}

/** `namespace/name`: the queue's string form of a key (and the target key of connections and caches). */
export function keyString(k: ObjectKey): string {
  return `${k.namespace}/${k.name}`;
}

export function parseKey(s: string): ObjectKey {
  const i = s.indexOf("/");
  return { namespace: s.slice(0, i), name: s.slice(i + 1) };
}
