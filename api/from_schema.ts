/**
 * Type-level derivation of TypeScript types from the OpenAPI v3 schemas in `schema.ts`, so the CRD schema
 * stays the single source of truth. It covers the subset the CRDs use: object/properties/required,
 * additionalProperties maps, arrays, string enums, strings, integers, numbers, booleans.
 */

type Obj = { readonly [k: string]: unknown };

type Props<S> = S extends { readonly properties: infer P } ? P : Record<never, never>;
type Req<S> = S extends { readonly required: readonly (infer R)[] } ? R & string : never;
type Simplify<T> = { [K in keyof T]: T[K] } & unknown;

type ObjectOf<S> =
  & { -readonly [K in keyof Props<S> as K extends Req<S> ? K : never]: FromSchema<Props<S>[K]> }
  & { -readonly [K in keyof Props<S> as K extends Req<S> ? never : K]?: FromSchema<Props<S>[K]> };

/** The TypeScript type of the values one OpenAPI v3 schema accepts. */
export type FromSchema<S> = S extends { readonly enum: readonly (infer E)[] } ? E
  : S extends { readonly type: "string" } ? string
  : S extends { readonly type: "integer" | "number" } ? number
  : S extends { readonly type: "boolean" } ? boolean
  : S extends { readonly type: "array"; readonly items: infer I } ? FromSchema<I>[]
  : S extends { readonly type: "object"; readonly additionalProperties: infer A extends Obj }
    ? Record<string, FromSchema<A>>
  : S extends { readonly type: "object"; readonly properties: Obj } ? Simplify<ObjectOf<S>>
  : S extends { readonly type: "object" } ? Record<string, unknown>
  : unknown;
