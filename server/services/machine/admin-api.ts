// Admin automation over the machine API (docs/API.md, "Admin keys"): a key with the `admin` scope lists, creates
// and revokes API keys and creates users, each audited with the key. Such a key is as powerful as an admin user:
// it may mint any scope, `admin` included, and create admins and approvers.
import "server-only";
import type { Db } from "../../db";
import { AppError } from "../../domain/errors";
import {
  apiKeyActor,
  createApiKey,
  listApiKeys,
  revokeApiKey,
  type ApiKeyDto,
  type CreatedApiKey,
} from "../access/api-keys";
import { generatePassword } from "../access/passwords";
import { createUser, type UserDto } from "../access/users";

type Key = Pick<ApiKeyDto, "id">;

/** The JSON body as an object; services validate its fields (422 by path). */
function objectBody(body: unknown, example: string): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AppError("VALIDATION", `Invalid input: send a JSON object, e.g. ${example}`, {
      issues: { _: `Send a JSON object, e.g. ${example}` },
    });
  }
  return body as Record<string, unknown>;
}

/** Ids are cuids: anything else is no key (and never reaches the database, where a NUL would be an error). */
const idPattern = /^[A-Za-z0-9_-]{1,100}$/;

export function listApiKeysForKey(db: Db): Promise<ApiKeyDto[]> {
  return listApiKeys(db);
}

/** The key and its signing secret are in this answer only. */
export function createApiKeyForKey(
  db: Db,
  input: { key: Key; body: unknown },
  options: { now: Date; encryptionKey: Buffer },
): Promise<CreatedApiKey> {
  const body = objectBody(input.body, '{ "name": "ci", "scopes": ["snapshots:write"] }');
  // The actor last: a body cannot name who acts.
  return createApiKey(db, { ...body, actor: apiKeyActor(input.key) } as Parameters<typeof createApiKey>[1], options);
}

/** Revoking a revoked key changes nothing; a key may revoke itself. */
export function revokeApiKeyForKey(db: Db, input: { key: Key; id: string }, now: Date): Promise<ApiKeyDto> {
  if (!idPattern.test(input.id)) throw new AppError("NOT_FOUND", "No such API key");
  return revokeApiKey(db, { actor: apiKeyActor(input.key), id: input.id }, now);
}

export interface CreatedUser {
  user: UserDto;
  /** Only when the request left the password out: generated, shown once, never stored in clear. */
  password?: string;
}

/** A user with the given role; without a password one is generated and returned once. */
export async function createUserForKey(db: Db, input: { key: Key; body: unknown }, now: Date): Promise<CreatedUser> {
  const body = objectBody(input.body, '{ "email": "ana@example.com", "name": "Ana", "role": "APPROVER" }');
  const generated = body.password === undefined ? generatePassword() : undefined;
  const user = await createUser(
    db,
    { ...body, ...(generated !== undefined && { password: generated }), actor: apiKeyActor(input.key) },
    now,
  );
  return { user, ...(generated !== undefined && { password: generated }) };
}
