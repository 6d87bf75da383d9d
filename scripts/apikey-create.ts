// `npm run apikey:create`: an API key for a machine client, made from the host (beside a running server too).
// Prints the key and its signing secret once: only a hash and the encrypted secret are stored.
import { apiKeyScopes } from "../server/domain/api-keys";
import { parseOptions, runCli, usageError } from "./lib/cli";
import { createLocalApiKey } from "./lib/local-api-key";

const usage = `Usage: npm run apikey:create -- --name NAME --scopes SCOPE,... [--targets SLUG,...] [--unsigned] [--as ADMIN_EMAIL]

  --name NAME         to tell keys apart in Settings → API keys (required)
  --scopes LIST       comma-separated, from: ${apiKeyScopes.join(", ")} (required)
  --targets LIST      comma-separated target slugs the key may touch (default: every target)
  --unsigned          accept unsigned requests from this key (e.g. Alertmanager); signing is required otherwise
  --as ADMIN_EMAIL    the admin the audit records as creating the key; without it, the command line
                      (your OS user and host)
  -h, --help          this help

Works while Rewind is running on the same database. Scopes and signatures: docs/API.md.`;

const list = (text: string) =>
  text
    .split(",")
    .map((item) => item.trim())
    .filter(Boolean);

runCli(async () => {
  const values = parseOptions(usage, {
    name: { type: "string" },
    scopes: { type: "string" },
    targets: { type: "string" },
    unsigned: { type: "boolean", default: false },
    as: { type: "string" },
  });
  if (!values.name || !values.scopes) usageError(usage, "--name and --scopes are required");
  const scopes = list(values.scopes);
  const unknown = scopes.filter((scope) => !(apiKeyScopes as readonly string[]).includes(scope));
  if (scopes.length === 0) usageError(usage, `--scopes lists no scope: choose from ${apiKeyScopes.join(", ")}`);
  if (unknown.length > 0) {
    usageError(usage, `Unknown scope ${unknown.join(", ")}: choose from ${apiKeyScopes.join(", ")}`);
  }
  const apiKey = await createLocalApiKey({
    name: values.name,
    scopes,
    targetSlugs: values.targets ? list(values.targets) : null,
    signingRequired: !values.unsigned,
    migrate: true,
    ...(values.as !== undefined && { as: values.as }),
  });
  console.log(`Created API key "${apiKey.name}" (${apiKey.prefix}…) in ${apiKey.database}`);
  console.log(`Scopes:  ${apiKey.scopes.join(", ")}`);
  console.log(`Targets: ${apiKey.targetSlugs?.join(", ") ?? "all"}`);
  console.log(`Signing: ${apiKey.signingRequired ? "required" : "off"}`);
  console.log(`Audit:   created by ${apiKey.createdBy}`);
  console.log("\nShown only this once; store them in your secret manager:");
  console.log(`  API key:        ${apiKey.key}`);
  console.log(`  Signing secret: ${apiKey.signingSecret}`);
});
