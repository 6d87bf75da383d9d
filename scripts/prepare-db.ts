// `npm run dev` and `npm run db:deploy`: apply migrations and create the first admin.
import { describeDatabase } from "../server/db/url";
import { bootstrapFirstAdmin, ensureAuthSecret, loadEnvironment, migrateDeploy } from "./lib/setup";

loadEnvironment();
ensureAuthSecret();
const databaseUrl = process.env.DATABASE_URL as string;
migrateDeploy(databaseUrl);
console.log(`Database ready: ${describeDatabase(databaseUrl)}`);
for (const line of await bootstrapFirstAdmin()) console.log(line);
process.exit(0);
