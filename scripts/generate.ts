// postinstall and build: generate the Prisma clients for SQLite and PostgreSQL.
import { generateClients } from "./lib/setup";

generateClients();
