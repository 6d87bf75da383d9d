// A throwaway self-signed certificate and its key, made with the openssl CLI (node:crypto reads certificates but
// cannot make them), for signing SNS messages in tests as SNS would. One per test process.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

let made: { certificatePem: string; keyPem: string } | undefined;

export function selfSignedCertificate(): { certificatePem: string; keyPem: string } {
  if (made) return made;
  const directory = mkdtempSync(path.join(tmpdir(), "rewind-sns-"));
  try {
    const key = path.join(directory, "key.pem");
    const certificate = path.join(directory, "cert.pem");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2"].concat([
        "-subj",
        "/CN=sns.us-east-1.amazonaws.com",
      ]),
      { stdio: "ignore" },
    );
    made = { certificatePem: readFileSync(certificate, "utf8"), keyPem: readFileSync(key, "utf8") };
    return made;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
