// One fresh database per run of the integration project (test/test-database.ts), dropped after.
import type { TestProject } from "vitest/node";
import { createTestDatabase } from "../test-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const database = await createTestDatabase();
  project.provide("databaseUrl", database.url);
  return database.drop;
}
