// The registry of intake adapters: every telemetry format Rewind takes without code on the sender's side, one entry
// each (name, media types, decode, map to events, replies). Routes and docs name an adapter by its key; adding a
// format (OTLP metrics, another gateway's callback) is a file beside these and one line here.
import "server-only";
import { liteLlmAdapter } from "./litellm";
import { otlpMetricsAdapter } from "./otlp-metrics";
import { otlpTracesAdapter } from "./otlp-traces";
import type { IntakeAdapter, IntakeContext } from "./types";

/**
 * An adapter whose decoded form is its own business: decode, prepare and map run as one step, which answers with
 * `undo` for what prepare wrote (nothing for most formats).
 */
export interface RegisteredIntakeAdapter extends Omit<IntakeAdapter<unknown>, "decode" | "map" | "prepare"> {
  read: (
    body: Buffer,
    contentType: string,
    context: IntakeContext,
  ) => Promise<ReturnType<IntakeAdapter<unknown>["map"]> & { undo: () => Promise<void> }>;
}

function register<Decoded>({ decode, map, prepare, ...adapter }: IntakeAdapter<Decoded>): RegisteredIntakeAdapter {
  return {
    ...adapter,
    read: async (body, contentType, context) => {
      const decoded = decode(body, contentType);
      if (!prepare) return { ...map(decoded, context), undo: () => Promise.resolve() };
      const prepared = await prepare(decoded, context);
      const batch = map(prepared.decoded, context);
      return { ...batch, refused: [...prepared.refused, ...batch.refused], undo: prepared.undo };
    },
  };
}

export const intakeAdapters = {
  "otlp-traces": register(otlpTracesAdapter),
  "otlp-metrics": register(otlpMetricsAdapter),
  litellm: register(liteLlmAdapter),
} satisfies Record<string, RegisteredIntakeAdapter>;

export type IntakeAdapterName = keyof typeof intakeAdapters;
