// The shape of an intake adapter (one per telemetry format Rewind accepts without code on the sender's side) and
// of what receiving a request yields. The registry is adapters.ts; the use case is receive.ts.
import "server-only";
import type { Db } from "../../db";
import type { FieldIssues } from "../../domain/errors";
import type { MappedBatch, RefusedItem } from "../../domain/intake/intake-items";
import type { TargetRuleSet } from "../../domain/intake/target-rules";
import type { IngestResult } from "../machine/ingest";

/** A request refused before anything was written, as the adapter's format should say it. */
export interface IntakeRefusal {
  status: number;
  /** The machine API's error code (`VALIDATION`, `UNAUTHORIZED`…), or `BAD_REQUEST`, `UNSUPPORTED_MEDIA_TYPE`, `UNAVAILABLE`. */
  code: string;
  message: string;
  issues?: FieldIssues;
  /** Set on a 500: the server log has the error under it. */
  requestId?: string;
  /** Retry-After, WWW-Authenticate, X-Request-Id. */
  headers: Record<string, string>;
}

/** What a received request did: items written per target, refused by path, ignored. */
export interface IntakeOutcome {
  /** The request's target (X-Rewind-Target or the key's one target), for items that name none. */
  target: string | null;
  /** Items written. */
  accepted: number;
  refused: RefusedItem[];
  ignored: number;
  /** One per target written to, in the order written. */
  results: IngestResult[];
}

export interface IntakeReply {
  status: number;
  body: Uint8Array | string;
  contentType: string;
  headers?: Record<string, string>;
}

export interface IntakeAdapter<Decoded> {
  /** How docs, logs and the registry name it. */
  name: string;
  /** What one item is called in refusals ("span", "payload"). */
  itemNoun: string;
  /** Media types of the request body, lowercase and without parameters; others are refused with 415. */
  contentTypes: readonly string[];
  /**
   * True: items that cannot be written are refused one by one and the rest is written (OTLP's partial success).
   * False: any refused item refuses the whole request with 422 and nothing is written.
   */
  partialSuccess: boolean;
  /** Parses the (decompressed) body; throws `IntakeError` (400) when it is not this format. */
  decode: (body: Buffer, contentType: string) => Decoded;
  /**
   * Read the admins' target mapping rules (OTLP: by `service.name`, operation and model) for items that name no
   * target; they are loaded once per request and handed to `map`.
   */
  targetRules?: boolean;
  /** Pure: the model calls in the request (server/domain/intake). */
  map: (decoded: Decoded, options: MapOptions) => MappedBatch;
  /**
   * Optional, between decode and map, for a format whose items depend on earlier requests (OTLP cumulative
   * metrics): what map reads instead, the items refused on the way, and how to take back its own writes when the
   * request then fails as a whole (its sender retries it).
   */
  prepare?: (decoded: Decoded, context: IntakeContext) => Promise<Prepared<Decoded>>;
  /** The success response, in the request's encoding. */
  reply: (outcome: IntakeOutcome, contentType: string) => IntakeReply;
  /** A refusal, in the request's encoding where it is one the adapter takes (`contentType` null otherwise). */
  refusal: (refusal: IntakeRefusal, contentType: string | null) => IntakeReply;
}

/** What mapping a request may use. */
export interface MapOptions {
  bucketWidthMs: number;
  /** The target mapping rules, for an adapter that reads them (none when unset). */
  targetRules?: TargetRuleSet;
}

/** What a request's stateful step (`prepare`) may use. */
export interface IntakeContext extends MapOptions {
  db: Db;
  now: Date;
}

export interface Prepared<Decoded> {
  decoded: Decoded;
  refused: RefusedItem[];
  undo: () => Promise<void>;
}

/** A refusal of the request's form: 400 a body that is not the format, 415 a media type or encoding not taken. */
export class IntakeError extends Error {
  constructor(
    readonly status: 400 | 415,
    message: string,
  ) {
    super(message);
    this.name = "IntakeError";
  }
}
