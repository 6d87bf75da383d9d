// Prometheus' instant-query API over fetch: one GET per configured reading, in parallel, at the end of the
// judged window; redirects are not followed, so the bearer token never goes where no admin pointed it.
import "server-only";
import { pulledKeyLabel, pulledKeys, type PulledKey } from "../../domain/pulled-sources/config";
import { prometheusQueryUrl, readPrometheusAnswer } from "../../domain/pulled-sources/prometheus";
import { PullFailure, pullFailureOf, toPulledReadings } from "../../domain/pulled-sources/readings";
import type { PullClient } from "./pull-client";

/** An instant query that returns one number is a few hundred bytes; a megabyte is a query gone wrong. */
const MAX_ANSWER_BYTES = 1024 * 1024;

async function readLimited(response: Response): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await response.body.cancel().catch(() => undefined);
      throw new PullFailure(`the answer is larger than ${MAX_ANSWER_BYTES / 1024 / 1024} MB: aggregate the query`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const prometheusClient: PullClient<"PROMETHEUS"> = {
  kind: "PROMETHEUS",
  async pull(config, secret, window, signal) {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (secret) headers.Authorization = `Bearer ${secret}`;
    const keys = pulledKeys.filter((key) => config.queries[key] !== undefined);
    const answers = await Promise.all(
      keys.map(async (key): Promise<[PulledKey, number]> => {
        const url = prometheusQueryUrl(config.url, config.queries[key]!, window);
        try {
          const response = await fetch(url, { headers, redirect: "manual", signal });
          return [key, readPrometheusAnswer(response.status, await readLimited(response))];
        } catch (error) {
          if (signal.aborted) throw error;
          throw new PullFailure(`${pulledKeyLabel(key)}: ${pullFailureOf(error).message}`);
        }
      }),
    );
    return toPulledReadings(Object.fromEntries(answers));
  },
};
