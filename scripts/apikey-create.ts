// `npm run apikey:create -- --name N --scopes ingest,config:read [--targets slug1,slug2] [--unsigned]`
// Prints the key and its signing secret once: only a hash and the encrypted secret are stored.
import { parseArgs } from "node:util";
import { createLocalApiKey } from "./lib/local-api-key";

const usage =
  "Usage: npm run apikey:create -- --name NAME --scopes ingest,config:read,snapshots:write,policies:write " +
  "[--targets slug1,slug2] [--unsigned]";

async function main() {
  const { values } = parseArgs({
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      targets: { type: "string" },
      unsigned: { type: "boolean", default: false },
    },
  });
  if (!values.name || !values.scopes) throw new Error(`--name and --scopes are required\n${usage}`);
  const list = (text: string) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean);
  const apiKey = await createLocalApiKey({
    name: values.name,
    scopes: list(values.scopes),
    targetSlugs: values.targets ? list(values.targets) : null,
    signingRequired: !values.unsigned,
    migrate: true,
  });
  console.log(`Created API key "${apiKey.name}" (${apiKey.prefix}…)`);
  console.log(`Scopes:  ${apiKey.scopes.join(", ")}`);
  console.log(`Targets: ${apiKey.targetSlugs?.join(", ") ?? "all"}`);
  console.log(`Signing: ${apiKey.signingRequired ? "required" : "off"}`);
  console.log("\nShown only this once; store them in your secret manager:");
  console.log(`  API key:        ${apiKey.key}`);
  console.log(`  Signing secret: ${apiKey.signingSecret}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
