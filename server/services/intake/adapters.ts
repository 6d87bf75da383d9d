// The registry of intake adapters: every telemetry format Rewind takes without code on the sender's side, one entry
// each (name, media types, decode, map to events, replies). Routes and docs name an adapter by its key; adding a
// format (OTLP metrics, another gateway's callback) is a file beside these and one line here.
import "server-only";
import { liteLlmAdapter } from "./litellm";
import { otlpTracesAdapter } from "./otlp-traces";
import type { IntakeAdapter } from "./types";

/** An adapter whose decoded form is its own business: decode and map run as one step. */
export interface RegisteredIntakeAdapter extends Omit<IntakeAdapter<unknown>, "decode" | "map"> {
  read: (body: Buffer, contentType: string) => ReturnType<IntakeAdapter<unknown>["map"]>;
}

function register<Decoded>({ decode, map, ...adapter }: IntakeAdapter<Decoded>): RegisteredIntakeAdapter {
  return { ...adapter, read: (body, contentType) => map(decode(body, contentType)) };
}

export const intakeAdapters = {
  "otlp-traces": register(otlpTracesAdapter),
  litellm: register(liteLlmAdapter),
} satisfies Record<string, RegisteredIntakeAdapter>;

export type IntakeAdapterName = keyof typeof intakeAdapters;
