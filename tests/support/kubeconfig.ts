/** Builds self-contained kubeconfig YAML (all data embedded) for the harness' servers. */
import { stringify } from "yaml";

export type KubeUser =
  | { token: string }
  | { certPem: string; keyPem: string }
  | { exec: { command: string; args?: string[]; apiVersion?: string } };

const b64 = (s: string) => btoa(s);

export function kubeconfigYaml(opts: {
  name: string;
  server: string;
  caPem: string;
  user: KubeUser;
  namespace?: string;
  tlsServerName?: string;
}): string {
  let user: Record<string, unknown>;
  if ("token" in opts.user) user = { token: opts.user.token };
  else if ("certPem" in opts.user) {
    user = { "client-certificate-data": b64(opts.user.certPem), "client-key-data": b64(opts.user.keyPem) };
  } else {
    user = {
      exec: {
        apiVersion: opts.user.exec.apiVersion ?? "client.authentication.k8s.io/v1",
        command: opts.user.exec.command,
        args: opts.user.exec.args ?? [],
        interactiveMode: "Never",
      },
    };
  }
  const cluster: Record<string, unknown> = {
    server: opts.server,
    "certificate-authority-data": b64(opts.caPem),
  };
  if (opts.tlsServerName) cluster["tls-server-name"] = opts.tlsServerName;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: opts.name, cluster }],
    users: [{ name: `${opts.name}-user`, user }],
    contexts: [{
      name: opts.name,
      context: {
        cluster: opts.name,
        user: `${opts.name}-user`,
        ...(opts.namespace ? { namespace: opts.namespace } : {}),
      },
    }],
    "current-context": opts.name,
  });
}
