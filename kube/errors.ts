/**
 * Network failures in a person's words ("connection refused", "timed out", "TLS: certificate signed by an
 * unknown authority") for status messages and CLI output, and the raw text for debug logs. Pure.
 */

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
