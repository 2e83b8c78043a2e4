import type { LabelSelector } from "../api/types.ts";
import { assertEquals } from "../tests/support/assert.ts";
import { labelSelectorMatches } from "./label_selector.ts";

const labels = { app: "argocd-server", tier: "web", "app.kubernetes.io/part-of": "argocd" };

const cases: [string, LabelSelector, Record<string, string> | undefined, boolean][] = [
  ["empty selector matches everything", {}, labels, true],
  ["empty selector matches no labels", {}, undefined, true],
  ["matchLabels all equal", { matchLabels: { app: "argocd-server", tier: "web" } }, labels, true],
  ["matchLabels one differs", { matchLabels: { app: "argocd-server", tier: "db" } }, labels, false],
  ["matchLabels key absent", { matchLabels: { zone: "a" } }, labels, false],
  ["matchLabels against no labels", { matchLabels: { app: "x" } }, undefined, false],
  [
    "In: value listed",
    { matchExpressions: [{ key: "tier", operator: "In", values: ["db", "web"] }] },
    labels,
    true,
  ],
  [
    "In: value not listed",
    { matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }] },
    labels,
    false,
  ],
  ["In: key absent", { matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }, labels, false],
  [
    "NotIn: value listed",
    { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["web"] }] },
    labels,
    false,
  ],
  [
    "NotIn: value not listed",
    { matchExpressions: [{ key: "tier", operator: "NotIn", values: ["db"] }] },
    labels,
    true,
  ],
  [
    "NotIn: key absent matches",
    { matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] },
    labels,
    true,
  ],
  ["Exists", { matchExpressions: [{ key: "app.kubernetes.io/part-of", operator: "Exists" }] }, labels, true],
  ["Exists: absent", { matchExpressions: [{ key: "zone", operator: "Exists" }] }, labels, false],
  ["DoesNotExist", { matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }, labels, true],
  ["DoesNotExist: present", { matchExpressions: [{ key: "app", operator: "DoesNotExist" }] }, labels, false],
  [
    "matchLabels and matchExpressions are ANDed",
    {
      matchLabels: { app: "argocd-server" },
      matchExpressions: [{ key: "tier", operator: "In", values: ["db"] }],
    },
    labels,
    false,
  ],
  [
    "unknown operator matches nothing",
    { matchExpressions: [{ key: "app", operator: "Gt" as "In", values: ["1"] }] },
    labels,
    false,
  ],
  ["a key named like an Object.prototype member", { matchLabels: { constructor: "x" } }, labels, false],
];

for (const [name, selector, have, expected] of cases) {
  Deno.test(`labelSelectorMatches: ${name}`, () => {
    assertEquals(labelSelectorMatches(selector, have), expected);
  });
}
