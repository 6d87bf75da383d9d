// CloudWatch metrics through the AWS SDK v3: one GetMetricData per pull, every configured metric and
// expression in it. Credentials: the config's access key id with the saved secret access key, else the SDK's
// default provider chain (environment, shared files, SSO, the instance or task role).
import "server-only";
import { cloudWatchRange, getMetricDataInput, readGetMetricData } from "../../domain/pulled-sources/cloudwatch";
import { PullFailure, type PulledReadings } from "../../domain/pulled-sources/readings";
import { noReadings } from "../../domain/slo";
import type { PullClient } from "./pull-client";

export const cloudWatchClient: PullClient<"CLOUDWATCH"> = {
  kind: "CLOUDWATCH",
  async pull(config, secret, window, signal): Promise<PulledReadings> {
    const range = cloudWatchRange(window);
    // Cut at a configuration change less than a whole minute ago: no minute of the new configuration yet.
    if (!range) return { requestCount: 0, readings: noReadings };
    if (config.accessKeyId && !secret) throw new PullFailure(`no secret access key is saved for ${config.accessKeyId}`);
    // Loaded on first use: the SDK is large, and most installations pull nothing from CloudWatch.
    const { CloudWatchClient, GetMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
    const timeoutMs = config.timeoutSeconds * 1000;
    const client = new CloudWatchClient({
      region: config.region,
      ...(config.endpoint && { endpoint: config.endpoint }),
      ...(config.accessKeyId &&
        secret && { credentials: { accessKeyId: config.accessKeyId, secretAccessKey: secret } }),
      // The next cycle is the retry: a pull waits for one attempt, within the source's timeout.
      maxAttempts: 1,
      requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
    });
    try {
      const output = await client.send(new GetMetricDataCommand(getMetricDataInput(config, range)), {
        abortSignal: signal,
      });
      return readGetMetricData(config, range, output);
    } catch (error) {
      if (error instanceof PullFailure || signal.aborted) throw error;
      // SDK errors are named by CloudWatch's error code (InvalidParameterValueException, AccessDenied, …).
      const { name, message } = error as Error;
      throw new PullFailure(name && name !== "Error" && !message.startsWith(name) ? `${name}: ${message}` : message);
    } finally {
      client.destroy();
    }
  },
};
