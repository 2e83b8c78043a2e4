/**
 * Assertions for tests. `@std/assert` lives on JSR, which is unreachable here, so these wrap Node's
 * `node:assert/strict` (built into Deno) with the std names the team knows.
 */
import nodeAssert from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message as string);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message as string);
}

export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message as string);
}

export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message as string);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  if (!actual.includes(expected)) {
    nodeAssert.fail(message ?? `expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}`);
  }
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  match?: RegExp,
  message?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (match) assertMatch(err.message, match, message);
    return err;
  }
  nodeAssert.fail(message ?? "expected the promise to reject");
}

export function assertThrows(fn: () => unknown, match?: RegExp, message?: string): Error {
  try {
    fn();
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    if (match) assertMatch(err.message, match, message);
    return err;
  }
  nodeAssert.fail(message ?? "expected the function to throw");
}

export function fail(message: string): never {
  nodeAssert.fail(message);
}
