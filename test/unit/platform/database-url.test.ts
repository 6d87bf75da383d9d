// DATABASE_URL's own parameters for the PostgreSQL pool: schema and connection_limit leave the connection string.
import { describe, expect, it } from "vitest";
import { postgresPoolOptions } from "@/server/db/url";

describe("postgresPoolOptions", () => {
  it("takes schema and connection_limit out of the URL and keeps the rest", () => {
    expect(
      postgresPoolOptions("postgresql://rewind:pw@db:5432/rewind?schema=tenant&connection_limit=25&sslmode=require"),
    ).toEqual({ connectionString: "postgresql://rewind:pw@db:5432/rewind?sslmode=require", schema: "tenant", max: 25 });
  });

  it("leaves the pool's default when no limit is given", () => {
    expect(postgresPoolOptions("postgres://db/rewind")).toEqual({ connectionString: "postgres://db/rewind" });
  });

  it.each(["0", "-3", "2.5", "many", ""])("refuses connection_limit=%s with the parameter named", (limit) => {
    expect(() => postgresPoolOptions(`postgresql://db/rewind?connection_limit=${limit}`)).toThrow(
      /connection_limit must be a whole number/,
    );
  });
});
