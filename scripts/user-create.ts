// `npm run user:create -- --email a@b.c --role APPROVER [--name "A B"] [--password-stdin]`
// Without --password-stdin a password is asked for on a terminal, or generated and printed once.
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { loadEnvironment, migrateDeploy } from "./lib/setup";

const usage =
  'Usage: npm run user:create -- --email a@b.c --role VIEWER|OPERATOR|APPROVER|ADMIN [--name "Name"] [--password-stdin]';

async function readPassword(fromStdin: boolean): Promise<string | null> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8").trim();
  }
  if (!process.stdin.isTTY) return null;
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  const answer = await prompt.question("Password (12+ characters, empty to generate one): ");
  prompt.close();
  return answer.trim() || null;
}

async function main() {
  const { values } = parseArgs({
    options: {
      email: { type: "string" },
      role: { type: "string", default: "VIEWER" },
      name: { type: "string" },
      "password-stdin": { type: "boolean", default: false },
    },
  });
  if (!values.email) throw new Error(`--email is required\n${usage}`);
  loadEnvironment();
  migrateDeploy(process.env.DATABASE_URL as string);
  const { getDb } = await import("../server/db");
  const { createUser } = await import("../server/services/users");
  const { generatePassword } = await import("../server/auth/password");
  const given = await readPassword(values["password-stdin"]);
  const password = given ?? generatePassword();
  const user = await createUser(getDb(), {
    email: values.email,
    name: values.name ?? values.email.split("@")[0],
    role: values.role?.toUpperCase(),
    password,
  });
  console.log(`Created ${user.email} (${user.role.toLowerCase()})`);
  if (!given) console.log(`Password (shown only this once): ${password}`);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
