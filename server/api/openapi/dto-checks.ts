// Compile-time only: each response schema (schemas.ts, schemas-ofrep.ts, schemas-pulled-sources.ts) still describes the DTO its service returns, so a field
// added to a DTO and not to its schema fails `tsc`, as does a field in a schema that the DTO lacks.
import "server-only";
import type { z } from "zod";
import type { ApiKeyDto, CreatedApiKey } from "../../services/access/api-keys";
import type { UserDto } from "../../services/access/users";
import type { TargetDto } from "../../services/config/targets";
import type { MetricSourceDto } from "../../services/pulled-sources/metric-sources";
import type { CreatedUser } from "../../services/machine/admin-api";
import type { AlertmanagerResult } from "../../services/intake/alertmanager";
import type { TargetRuleDto } from "../../services/intake/target-rules";
import type { SnsSettings } from "../../domain/intake/sns";
import type { EffectiveConfig, TargetStatus } from "../../services/machine/config-delivery";
import type { IngestResult } from "../../services/machine/ingest";
import type { OfrepBulkEvaluation, OfrepFailure, OfrepSuccess } from "../../services/machine/ofrep";
import type { RollbackApiDetail, RollbackApiSummary } from "../../services/machine/rollbacks-api-dto";
import type {
  alertmanagerResultSchema,
  apiKeySchema,
  createdApiKeySchema,
  createdUserSchema,
  effectiveConfigSchema,
  ingestResultSchema,
  rollbackDetailSchema,
  rollbackSummarySchema,
  targetSchema,
  targetStatusSchema,
  userSchema,
} from "./schemas";
import type { ofrepBulkSchema, ofrepFlagFailureSchema, ofrepSuccessSchema } from "./schemas-ofrep";
import type { metricSourceSchema } from "./schemas-pulled-sources";
import type { snsSettingsResponseSchema, targetRuleResponseSchema } from "./routes/intake";

/** A DTO as JSON.stringify sends it: dates become ISO strings. */
type Json<T> = T extends Date
  ? string
  : T extends readonly (infer Item)[]
    ? Json<Item>[]
    : T extends object
      ? { [K in keyof T]: Json<T[K]> }
      : T;

type KeysOf<T> = T extends unknown ? keyof T : never;
/** Every value the DTO can take is valid for the schema, and the schema names no field the DTO lacks. */
type Describes<Schema extends z.ZodType, Dto> = [Json<Dto>] extends [z.output<Schema>]
  ? [Exclude<KeysOf<z.output<Schema>>, KeysOf<Json<Dto>>>] extends [never]
    ? true
    : { "response schema has fields the DTO lacks": Exclude<KeysOf<z.output<Schema>>, KeysOf<Json<Dto>>> }
  : { "response schema does not accept the DTO": Json<Dto> };

type Assert<Check extends true> = Check;
/** Compile-time only: each response schema still describes the DTO its service returns (see `Describes`). */
export type ResponseSchemaChecks = [
  Assert<Describes<typeof targetSchema, TargetDto>>,
  Assert<Describes<typeof effectiveConfigSchema, EffectiveConfig>>,
  Assert<Describes<typeof targetStatusSchema, TargetStatus>>,
  Assert<Describes<typeof ingestResultSchema, IngestResult>>,
  Assert<Describes<typeof alertmanagerResultSchema, AlertmanagerResult>>,
  Assert<Describes<typeof rollbackSummarySchema, RollbackApiSummary>>,
  Assert<Describes<typeof rollbackDetailSchema, RollbackApiDetail>>,
  Assert<Describes<typeof apiKeySchema, ApiKeyDto>>,
  Assert<Describes<typeof createdApiKeySchema, CreatedApiKey>>,
  Assert<Describes<typeof userSchema, UserDto>>,
  Assert<Describes<typeof createdUserSchema, CreatedUser>>,
  Assert<Describes<typeof ofrepSuccessSchema, OfrepSuccess>>,
  Assert<Describes<typeof ofrepFlagFailureSchema, OfrepFailure>>,
  Assert<Describes<typeof ofrepBulkSchema, OfrepBulkEvaluation>>,
  Assert<Describes<typeof metricSourceSchema, MetricSourceDto>>,
  Assert<Describes<typeof targetRuleResponseSchema, TargetRuleDto>>,
  Assert<Describes<typeof snsSettingsResponseSchema, SnsSettings>>,
];
