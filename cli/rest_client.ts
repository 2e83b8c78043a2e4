/**
 * A small Kubernetes REST client on Deno's fetch, for the CLI's hot paths (`status`, `describe`, `target`),
 * so `kubectl ksit status` starts without loading @kubernetes/client-node. It supports what kubeconfigs carry
 * in practice: CA data/file, client certificate/key, bearer token (inline or file), basic auth, exec
 * credential plugins, and proxy-url. Watches and `check` use client-node (loaded lazily).
 */
import { sleep } from "../util/sleep.ts";
import { networkWords } from "../kube/errors.ts";
import { decodeBase64Text } from "../util/base64.ts";
import { ApiError, CliError, UnreachableError } from "./errors.ts";
import type { Kubeconfig, ResolvedContext } from "./kubeconfig.ts";

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Credentials {
  headers: Record<string, string>;
  certPem?: string;
  keyPem?: string;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    throw new CliError("NoKubeconfig", `kubeconfig ${what} file ${path}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** Runs an exec credential plugin (client.authentication.k8s.io) and returns its credentials. */
export async function runExec(ctx: ResolvedContext): Promise<Credentials> {
  const exec = ctx.user.exec!;
  const env: Record<string, string> = {
    KUBERNETES_EXEC_INFO: JSON.stringify({
      apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false },
    }),
  };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(exec.command, { args: exec.args ?? [], env, stdin: "null", stderr: "piped" })
      .output();
  } catch (e) {
    throw new CliError(
      "Forbidden",
      `context ${ctx.name}: exec credential plugin "${exec.command}" could not run: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").pop() ?? "";
    throw new CliError(
      "Forbidden",
      `context ${ctx.name}: exec credential plugin "${exec.command}" failed (exit ${out.code})${
        err ? `: ${err}` : ""
      }`,
    );
  }
  let status: { token?: string; clientCertificateData?: string; clientKeyData?: string } | undefined;
  try {
    status = JSON.parse(new TextDecoder().decode(out.stdout)).status;
  } catch {
    status = undefined;
  }
  if (!status?.token && !(status?.clientCertificateData && status.clientKeyData)) {
    throw new CliError(
      "Forbidden",
      `context ${ctx.name}: exec credential plugin "${exec.command}" gave no credentials`,
    );
  }
  return status.token
    ? { headers: { authorization: `Bearer ${status.token}` } }
    : { headers: {}, certPem: status.clientCertificateData, keyPem: status.clientKeyData };
}

async function staticCredentials(ctx: ResolvedContext): Promise<Credentials> {
  const u = ctx.user;
  const creds: Credentials = { headers: {} };
  if (u["auth-provider"]) {
    throw new CliError(
      "Error",
      `context ${ctx.name}: auth-provider "${u["auth-provider"].name}" is not supported by kubectl-ksit; ` +
        `use an exec credential plugin (e.g. kubelogin) or a token`,
    );
  }
  if (u["client-certificate-data"]) creds.certPem = decodeBase64Text(u["client-certificate-data"]);
  else if (u["client-certificate"]) {
    creds.certPem = await readText(u["client-certificate"], "client-certificate");
  }
  if (u["client-key-data"]) creds.keyPem = decodeBase64Text(u["client-key-data"]);
  else if (u["client-key"]) creds.keyPem = await readText(u["client-key"], "client-key");
  let token = u.token;
  if (!token && u.tokenFile) token = (await readText(u.tokenFile, "tokenFile")).trim();
  if (token) creds.headers.authorization = `Bearer ${token}`;
  else if (u.username && u.password) {
    creds.headers.authorization = `Basic ${btoa(`${u.username}:${u.password}`)}`;
  }
  return creds;
}

export class RestClient {
  private client: Deno.HttpClient | undefined;
  private creds: Credentials | undefined;
  private caPem: string | undefined;

  private constructor(
    readonly kubeconfig: Kubeconfig,
    readonly context: ResolvedContext,
    readonly defaultTimeoutMs: number,
  ) {}

  /** A client for `context` (default: current-context) of the loaded kubeconfig. */
  static async forContext(
    kc: Kubeconfig,
    context?: string,
    opts: { timeoutMs?: number } = {},
  ): Promise<RestClient> {
    const ctx = kc.resolve(context);
    const c = new RestClient(kc, ctx, opts.timeoutMs ?? 15_000);
    if (ctx.cluster["insecure-skip-tls-verify"]) {
      throw new CliError(
        "NoKubeconfig",
        `context ${ctx.name}: insecure-skip-tls-verify is not supported by kubectl-ksit; ` +
          `give the cluster's CA (certificate-authority-data)`,
      );
    }
    if (ctx.cluster["certificate-authority-data"]) {
      c.caPem = decodeBase64Text(ctx.cluster["certificate-authority-data"]);
    } else if (ctx.cluster["certificate-authority"]) {
      c.caPem = await readText(ctx.cluster["certificate-authority"], "certificate-authority");
    }
    return c;
  }

  get server(): string {
    return this.context.cluster.server.replace(/\/+$/, "");
  }

  get contextName(): string {
    return this.context.name;
  }

  /** The context's namespace, or `default`. */
  get namespace(): string {
    return this.context.namespace ?? "default";
  }

  /** `context X (https://…)`, for messages. */
  get what(): string {
    return `context ${this.context.name} (${this.server})`;
  }

  private async credentials(refresh = false): Promise<Credentials> {
    if (this.creds && !refresh) return this.creds;
    this.creds = this.context.user.exec ? await runExec(this.context) : await staticCredentials(this.context);
    this.client?.close();
    this.client = undefined;
    return this.creds;
  }

  private httpClient(creds: Credentials): Deno.HttpClient {
    if (this.client) return this.client;
    const opts: Deno.CreateHttpClientOptions = {};
    if (this.caPem) opts.caCerts = [this.caPem];
    const proxy = this.context.cluster["proxy-url"];
    if (proxy) opts.proxy = { url: proxy };
    this.client = creds.certPem && creds.keyPem
      ? Deno.createHttpClient({ ...opts, cert: creds.certPem, key: creds.keyPem })
      : Deno.createHttpClient(opts);
    return this.client;
  }

  url(path: string, query?: RequestOptions["query"]): string {
    const u = new URL(this.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u.toString();
  }

  /** Sends a request; resolves with the parsed JSON body, rejects with ApiError (HTTP) or UnreachableError. */
  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    if (!res.ok) throw apiError(res.status, text, method, path);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like `request` but returns the raw Response (for streaming); the caller consumes the body. */
  async send(
    method: string,
    path: string,
    opts: RequestOptions = {},
    retried = false,
    throttled = 0,
  ): Promise<Response> {
    const creds = await this.credentials();
    const headers: Record<string, string> = {
      accept: "application/json",
      "user-agent": "kubectl-ksit",
      ...creds.headers,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["content-type"] = opts.contentType ?? "application/json";
      body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    }
    const timeoutMs = opts.timeoutMs ?? this.defaultTimeoutMs;
    const signals = [AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])];
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers,
        body,
        client: this.httpClient(creds),
        signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals),
      });
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      const why = (e as Error).name === "TimeoutError"
        ? `no answer within ${timeoutMs / 1000}s`
        : networkWords(e as Error);
      throw new UnreachableError(`${this.server}: ${why}`, { cause: e });
    }
    if (res.status === 401 && this.context.user.exec && !retried) {
      await res.body?.cancel();
      await this.credentials(true);
      return await this.send(method, path, opts, true, throttled);
    }
    // 429 (priority and fairness, or "storage is (re)initializing" just after a CRD is created): wait as told
    // by Retry-After and try again, like client-go does, a few times
    if (res.status === 429 && throttled < 5 && !opts.signal?.aborted) {
      await res.body?.cancel();
      const after = Number(res.headers.get("retry-after"));
      const waitMs = Math.min(Number.isFinite(after) && after > 0 ? after * 1000 : 500, 2000);
      await sleep(waitMs);
      return await this.send(method, path, opts, retried, throttled + 1);
    }
    return res;
  }

  get<T>(path: string, query?: RequestOptions["query"], timeoutMs?: number): Promise<T> {
    return this.request<T>("GET", path, { query, timeoutMs });
  }

  /** Server-side apply (create or update) of one object, owned by field manager `kubectl-ksit`. */
  apply<T>(path: string, obj: unknown): Promise<T> {
    return this.request<T>("PATCH", path, {
      query: { fieldManager: "kubectl-ksit", force: true },
      body: obj,
      contentType: "application/apply-patch+yaml",
    });
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}

function apiError(code: number, text: string, method: string, path: string): ApiError {
  let status: {
    message?: string;
    reason?: string;
    details?: { kind?: string; name?: string; group?: string };
  } = {};
  try {
    status = JSON.parse(text);
  } catch { /* not a Status */ }
  const message = status.message || `${method} ${path}: HTTP ${code}`;
  return new ApiError(code, message, status);
}
