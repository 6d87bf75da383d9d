// What the OTLP/HTTP routes (traces, metrics) share: the two encodings of a body, the request's own encoding for the
// answer, and refusals as the google.rpc.Status the OTLP/HTTP spec asks for, with the gRPC code the Collector's
// receiver gives each HTTP status.
import "server-only";
import type { Type } from "protobufjs";
import type { OtlpMessageTypes } from "./otlp-proto";
import { IntakeError, type IntakeRefusal, type IntakeReply } from "./types";

export const PROTOBUF = "application/x-protobuf";
export const JSON_TYPE = "application/json";
export const OTLP_CONTENT_TYPES = [PROTOBUF, JSON_TYPE] as const;

/** The gRPC code a Status body carries for an HTTP status (the Collector's OTLP/HTTP receiver answers the same). */
export function grpcCodeOf(status: number): number {
  switch (status) {
    case 400:
    case 415:
    case 422:
      return 3; // INVALID_ARGUMENT
    case 401:
      return 16; // UNAUTHENTICATED
    case 403:
      return 7; // PERMISSION_DENIED
    case 404:
      return 5; // NOT_FOUND
    case 413:
    case 429:
      return 8; // RESOURCE_EXHAUSTED
    case 503:
      return 14; // UNAVAILABLE
    default:
      return 13; // INTERNAL
  }
}

/**
 * A protobuf body as protobufjs's message objects (unset fields read their defaults from the prototype, int64 as
 * `Long`s); 400 when it does not decode.
 */
export function decodeProtobuf(type: Type, body: Buffer, what: string): unknown {
  try {
    return type.decode(body);
  } catch (error) {
    throw new IntakeError(
      400,
      `Body is not a protobuf ${what}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** A body in either encoding, as the plain object OTLP/JSON is; 400 when it is neither. */
export function decodeOtlpBody(types: OtlpMessageTypes, body: Buffer, contentType: string, what: string): unknown {
  if (contentType === PROTOBUF) {
    try {
      // Strings for int64 and enums as numbers: the very shape of OTLP/JSON, so one schema reads both encodings.
      return types.request.toObject(types.request.decode(body), { longs: String, enums: Number, bytes: String });
    } catch (error) {
      throw new IntakeError(
        400,
        `Body is not a protobuf ${what}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  try {
    return JSON.parse(body.toString("utf8"));
  } catch (error) {
    throw new IntakeError(400, `Body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A response or Status message in the request's encoding (JSON when the request's was not one of OTLP's). */
export function encodeOtlp(
  types: OtlpMessageTypes,
  type: "response" | "status",
  message: Record<string, unknown>,
  contentType: string | null,
): Pick<IntakeReply, "body" | "contentType"> {
  if (contentType === PROTOBUF) {
    const messageType = types[type];
    return { body: messageType.encode(messageType.fromObject(message)).finish(), contentType: PROTOBUF };
  }
  return { body: JSON.stringify(message), contentType: JSON_TYPE };
}

/** A refusal as a google.rpc.Status, its message naming up to five of the issues. */
export function otlpRefusal(
  types: OtlpMessageTypes,
  { status, message, issues, headers }: IntakeRefusal,
  contentType: string | null,
): IntakeReply {
  const listed = issues
    ? Object.entries(issues)
        .slice(0, 5)
        .map(([path, issue]) => `${path}: ${issue}`)
    : [];
  const text = listed.length > 0 && !message.includes(listed[0] ?? "") ? `${message} (${listed.join("; ")})` : message;
  return { status, ...encodeOtlp(types, "status", { code: grpcCodeOf(status), message: text }, contentType), headers };
}
