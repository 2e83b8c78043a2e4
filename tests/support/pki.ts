/**
 * Test PKI: one CA per harness, a serving certificate for the loopback API servers, client certificates
 * (admin = system:masters) and the service-account signing key pair. ECDSA P-256 through WebCrypto and
 * @peculiar/x509 (pure TypeScript; no openssl needed), so it takes milliseconds.
 */
import "reflect-metadata"; // @peculiar/x509 uses tsyringe, which needs the Reflect metadata polyfill
import * as x509 from "@peculiar/x509";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86_400_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface TestPki {
  ca: KeyPairPem;
  serving: KeyPairPem;
  admin: KeyPairPem;
  serviceAccount: { publicPem: string; privatePem: string };
  /** Issues a client certificate for user `cn` in `groups`, signed by the CA. */
  client(cn: string, groups?: string[]): Promise<KeyPairPem>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = btoa(String.fromCharCode(...new Uint8Array(der)));
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join("\n")}\n-----END ${label}-----\n`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
}

async function privatePem(key: CryptoKey): Promise<string> {
  return pem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key));
}

let serial = 1;
const nextSerial = () => (serial++).toString(16).padStart(2, "0");

function escapeRdn(value: string): string {
  return value.replace(/([,+"\\<>;=])/g, "\\$1");
}

/** Creates the CA and the standard certificates. `ips` are extra IP SANs for the serving certificate. */
export async function createPki(opts: { ips?: string[]; dnsNames?: string[] } = {}): Promise<TestPki> {
  const notBefore = new Date(Date.now() - DAY);
  const notAfter = new Date(Date.now() + 365 * DAY);
  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: "CN=ksit-test-ca",
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const ca = { certPem: caCert.toString("pem") + "\n", keyPem: await privatePem(caKeys.privateKey) };

  async function issue(
    subject: string,
    usage: "server" | "client",
    san?: { ips: string[]; dns: string[] },
  ): Promise<KeyPairPem> {
    const keys = await keyPair();
    const extensions: x509.Extension[] = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension(
        [usage === "server" ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth],
        false,
      ),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ];
    if (san) {
      extensions.push(
        new x509.SubjectAlternativeNameExtension([
          ...san.dns.map((value) => ({ type: "dns" as const, value })),
          ...san.ips.map((value) => ({ type: "ip" as const, value })),
        ]),
      );
    }
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: nextSerial(),
      subject,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: ALG,
      publicKey: keys.publicKey,
      signingKey: caKeys.privateKey,
      extensions,
    });
    return { certPem: cert.toString("pem") + "\n", keyPem: await privatePem(keys.privateKey) };
  }

  // 127.0.0.1–127.0.3.255: the benchmark reaches the servers through many loopback addresses (a connection
  // pool per target); with IP SANs they need no tls-server-name (which Deno's HTTP client cannot set)
  const loopback = [
    "::1",
    ...Array.from({ length: 1023 }, (_, i) => `127.0.${(i + 1) >> 8}.${(i + 1) & 255}`),
  ];
  const serving = await issue("CN=kube-apiserver", "server", {
    ips: [...loopback, ...(opts.ips ?? [])],
    dns: [
      "localhost",
      "kubernetes",
      "kubernetes.default",
      "kubernetes.default.svc",
      ...(opts.dnsNames ?? []),
    ],
  });
  const client = (cn: string, groups: string[] = []) =>
    issue([`CN=${escapeRdn(cn)}`, ...groups.map((g) => `O=${escapeRdn(g)}`)].join(", "), "client");
  const admin = await client("ksit-admin", ["system:masters"]);

  const saKeys = await keyPair();
  const serviceAccount = {
    publicPem: pem("PUBLIC KEY", await crypto.subtle.exportKey("spki", saKeys.publicKey)),
    privatePem: await privatePem(saKeys.privateKey),
  };
  return { ca, serving, admin, serviceAccount, client };
}
