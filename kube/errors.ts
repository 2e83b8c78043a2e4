/**
 * The one place that turns any failure of talking to a Kubernetes API server — an API error (a client-node
 * ApiException, the CLI's ApiError, a watch that failed with a status), or a network failure — into
 * - its HTTP code (`errorCode`),
 * - the reason KSIT reports (`classifyError`, `clusterReason`: the vocabulary of a target's Ready condition),
 * - a message in a person's words (`errorMessage`: the `Status` message when the body is a Kubernetes Status,
 *   else "HTTP 503", "connection refused", "timed out", "TLS: certificate signed by an unknown authority"),
 * - and the raw detail for debug logs and `--debug` (`errorDetail`).
 * No response body other than a Status message ever reaches a message. Pure, and free of client-node (the
 * CLI's start-up imports it): errors are recognised by their shape.
 */

/** A response body or watch line over its bound. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  constructor(readonly limit: number, what: string) {
    super(`${what} larger than ${Math.round(limit / 1024 / 1024)} MiB; refused`);
  }
}

/**
 * The `message` of a Kubernetes `Status` body (kind Status, apiVersion v1), trimmed to one short line, or
 * undefined for anything else: a body that is not a Status never reaches a message.
 */
export function statusMessage(body: unknown): string | undefined {
  let o = body;
  if (typeof body === "string") {
    try {
      o = JSON.parse(body);
    } catch {
      return undefined;
    }
  }
  if (typeof o !== "object" || o === null) return undefined;
  const s = o as { kind?: unknown; apiVersion?: unknown; message?: unknown };
  if (s.kind !== "Status" || s.apiVersion !== "v1" || typeof s.message !== "string") return undefined;
  // deno-lint-ignore no-control-regex
  const line = s.message.replace(/[\u0000-\u001f\u007f]+/g, " ").trim();
  return line.length > 300 ? line.slice(0, 300) + "…" : line;
}

/** The underlying error text, one line, for debug logs and `--debug` (may name URLs; never credentials). */
export function errorDetail(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur instanceof Error; i++) {
    const code = (cur as { code?: unknown }).code;
    parts.push(
      typeof code === "string" && !cur.message.includes(code) ? `${cur.message} (${code})` : cur.message,
    );
    cur = cur.cause;
  }
  return (parts.join(": ") || String(e)).replace(/\s+/g, " ").slice(0, 500);
}

const NETWORK_WORDS: [RegExp, string][] = [
  [/TimeoutError|timed out|deadline/i, "timed out"],
  [/Connection refused|ECONNREFUSED/i, "connection refused"],
  [
    /Connection reset|ECONNRESET|broken pipe|connection closed|UnexpectedEof|unexpected end/i,
    "connection reset",
  ],
  [
    /dns error|failed to lookup|ENOTFOUND|Name or service not known|nodename nor servname/i,
    "DNS lookup failed",
  ],
  [/No route to host|EHOSTUNREACH|Network is unreachable|ENETUNREACH/i, "no route to the server"],
  [
    /UnknownIssuer|unknown authority|self.signed|unable to verify|UNABLE_TO_VERIFY/i,
    "TLS: certificate signed by an unknown authority (check certificate-authority-data)",
  ],
  [
    /NotValidForName|hostname|altname|does not match|ERR_TLS_CERT_ALTNAME/i,
    "TLS: the server certificate is not valid for this address (check the server URL or tls-server-name)",
  ],
  [/Expired|CERT_HAS_EXPIRED/i, "TLS: the server certificate has expired"],
  [/certificate|tls|ssl|handshake/i, "TLS handshake failed"],
  [/AbortError|aborted/i, "request aborted"],
];

export function networkWords(e: Error): string {
  const text = errorDetail(e) + " " + e.name;
  for (const [re, words] of NETWORK_WORDS) if (re.test(text)) return words;
  return "connection failed";
}

/** Reasons an API call failed, in the vocabulary of the target Ready condition. */
export type FailureReason =
  | "Unauthorized"
  | "Forbidden"
  | "ClusterUnreachable"
  | "NotFound"
  | "Conflict"
  | "Other";

/** The HTTP status of an error (client-node ApiException, a watch failure, the CLI's ApiError), if it has one. */
export function errorCode(e: unknown): number | undefined {
  const o = e as { statusCode?: unknown; code?: unknown } | null;
  if (o && typeof o.statusCode === "number") return o.statusCode;
  if (o && typeof o.code === "number" && o.code >= 100 && o.code < 600) return o.code;
  return undefined;
}

export function classifyError(e: unknown): FailureReason {
  const code = errorCode(e);
  if (code === 401) return "Unauthorized";
  if (code === 403) return "Forbidden";
  if (code === 404) return "NotFound";
  if (code === 409) return "Conflict";
  if (code === undefined || code === 429 || code >= 500) return "ClusterUnreachable";
  return "Other";
}

/**
 * A short, secret-free description of an error in a person's words: the Kubernetes `Status` message of an API
 * error (only when the body is a Status object: a body from a server that is not Kubernetes is never quoted),
 * or what went wrong on the network ("connection refused", "timed out", "TLS: certificate signed by an
 * unknown authority"). The raw error is for debug logs (`errorDetail`).
 */
export function errorMessage(e: unknown): string {
  const api = e as { code?: unknown; body?: unknown; status?: { message?: unknown } } | null;
  if (api && typeof api.code === "number" && "body" in api) {
    // a client-node ApiException: the body is the server's, quoted only when it is a Status
    const status = statusMessage(api.body);
    if (status) return status;
    return api.code >= 300 && api.code < 400
      ? `HTTP ${api.code} (a redirect; not followed)`
      : `HTTP ${api.code}`;
  }
  if (e instanceof ResponseTooLargeError) return e.message;
  const code = errorCode(e);
  if (code !== undefined && e instanceof Error && /^watch /.test(e.message)) {
    return e.message.replace(/^watch \S+: /, "");
  }
  if (e instanceof Error || (e instanceof DOMException)) return networkWords(e as Error);
  return "request failed";
}

const NETWORK_HINTS = [
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "Connection refused",
  "connection error",
  "error sending request",
  "tcp connect error",
  "dns error",
  "invalid peer certificate",
  "certificate",
  "TimeoutError",
  "timed out",
];

/**
 * True when `e` is a transport failure (refused, DNS, TLS, timeout, the CLI's UnreachableError) rather than
 * an answer of the API server.
 */
export function isNetworkError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  if (e.name === "UnreachableError" || e.name === "TimeoutError" || e.name === "AbortError") return true;
  const text = `${e.name} ${e.message} ${(e as { code?: unknown }).code ?? ""}`;
  if (e instanceof TypeError && /fetch|network|connect|request/i.test(text)) return true;
  if (NETWORK_HINTS.some((h) => text.includes(h))) return true;
  return e.cause !== undefined && e.cause !== e ? isNetworkError(e.cause) : false;
}

/** The reason a cluster that could not be read gets in status: its credentials, its RBAC, or reaching it. */
export type ClusterFailure = "Unauthorized" | "Forbidden" | "ClusterUnreachable";

export function clusterReason(e: unknown): ClusterFailure {
  // an error that already knows (kube/gather.ts GatherError)
  const known = (e as { reason?: unknown } | null)?.reason;
  if (known === "Unauthorized" || known === "Forbidden") return known;
  const c = classifyError(e);
  return c === "Unauthorized" || c === "Forbidden" ? c : "ClusterUnreachable";
}
