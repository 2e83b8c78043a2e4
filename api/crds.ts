/** The CustomResourceDefinitions, built from the schemas. `deno task manifests` writes them as YAML. */
import {
  GROUP,
  integrationSpecSchema,
  integrationStatusSchema,
  integrationTargetSpecSchema,
  integrationTargetStatusSchema,
  VERSION,
} from "./schema.ts";

interface Names {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
}

interface Column {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
}

function crd(names: Names, spec: object, status: object, columns: Column[], specRequired = true) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: `${names.plural}.${GROUP}`,
      labels: { "app.kubernetes.io/part-of": "ksit" },
    },
    spec: {
      group: GROUP,
      scope: "Namespaced",
      names: { ...names, listKind: `${names.kind}List`, categories: ["ksit"] },
      versions: [{
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
        additionalPrinterColumns: [
          ...columns,
          { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
        ],
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: specRequired ? ["spec"] : [],
            properties: {
              apiVersion: { type: "string" },
              kind: { type: "string" },
              metadata: { type: "object" },
              spec,
              status,
            },
          },
        },
      }],
    },
  };
}

const readyCondition = (field: string) => `.status.conditions[?(@.type=="Ready")].${field}`;

export const integrationCRD = crd(
  { kind: "Integration", plural: "integrations", singular: "integration", shortNames: ["integ"] },
  integrationSpecSchema,
  integrationStatusSchema,
  [
    { name: "Type", type: "string", jsonPath: ".spec.type" },
    { name: "Phase", type: "string", jsonPath: ".status.phase" },
    { name: "Healthy", type: "string", jsonPath: ".status.healthy", description: "healthy/targets" },
    { name: "Message", type: "string", jsonPath: ".status.message", priority: 1 },
  ],
);

export const integrationTargetCRD = crd(
  {
    kind: "IntegrationTarget",
    plural: "integrationtargets",
    singular: "integrationtarget",
    shortNames: ["it"],
  },
  integrationTargetSpecSchema,
  integrationTargetStatusSchema,
  [
    { name: "Cluster", type: "string", jsonPath: ".spec.clusterName" },
    { name: "Ready", type: "string", jsonPath: readyCondition("status") },
    { name: "Version", type: "string", jsonPath: ".status.serverVersion" },
    { name: "Reason", type: "string", jsonPath: readyCondition("reason") },
    { name: "Judged-By", type: "string", jsonPath: ".status.judgedBy", priority: 1 },
  ],
);

export const CRDS = [integrationCRD, integrationTargetCRD];
