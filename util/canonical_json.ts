/** JSON with object keys sorted and undefined members left out: equal texts ⇔ equal values. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) if (v[k] !== undefined) out[k] = v[k];
      return out;
    }
    return v;
  });
}
