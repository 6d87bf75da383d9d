// Checking an SNS message's signature with the certificate SNS signed it with (SignatureVersion 1: SHA1withRSA,
// 2: SHA256withRSA), over the string stringToSign builds. Pure: the certificate is fetched by the service.
import { createVerify, X509Certificate } from "node:crypto";
import { stringToSign, type SnsMessage } from "./sns";

export const signatureAlgorithm = (version: SnsMessage["SignatureVersion"]) =>
  version === "1" ? "RSA-SHA1" : "RSA-SHA256";

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** The message's signature checked with the certificate's public key, and the certificate's validity at `now`. */
export function verifySignature(message: SnsMessage, certificatePem: string, now: Date): SignatureCheck {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    return { ok: false, reason: "SigningCertURL did not serve an X.509 certificate" };
  }
  const time = now.getTime();
  if (time < Date.parse(certificate.validFrom) || time > Date.parse(certificate.validTo)) {
    return { ok: false, reason: "The signing certificate is not valid now" };
  }
  const verifier = createVerify(signatureAlgorithm(message.SignatureVersion));
  verifier.update(stringToSign(message), "utf8");
  let valid = false;
  try {
    valid = verifier.verify(certificate.publicKey, message.Signature, "base64");
  } catch {
    valid = false;
  }
  return valid ? { ok: true } : { ok: false, reason: "The signature does not match the message" };
}
