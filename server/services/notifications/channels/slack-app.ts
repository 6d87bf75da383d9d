// The Slack app behind approvals from Slack: its signing secret (clicks on the Approve/Reject buttons are
// verified with it, and the buttons are only sent when one is set) and its optional bot token (users.info, to
// find a clicking user by verified email). Saved by an admin in one `Setting` row, sealed like PagerDuty's key,
// else taken from SLACK_SIGNING_SECRET / SLACK_BOT_TOKEN. Neither secret ever leaves the server.
import "server-only";
import { z } from "zod";
import type { Db, Tx } from "../../../db";
import { AppError } from "../../../domain/errors";
import { slackAppSecretSchema, slackAppSettingsSchema } from "../../../domain/notification-channels";
import { env } from "../../../env.js";
import { actorIdOf, appendAudit, type WithActor } from "../../audit/audit-log";
import { retryOnConflict } from "../../platform/retry";
import { openSecret, sealSecret } from "../../platform/secret-box";
import { parseInput } from "../../platform/validation";
import { deleteSetting, readSetting, writeSetting } from "./settings-store";

export const SLACK_APP_SETTING = "slack.app";
/** Sealed secrets are bound to this row: copied into another, they do not decrypt. */
const AAD = `setting:${SLACK_APP_SETTING}`;

const storedSchema = z.object({
  signingSecretEncrypted: z.string().nullable(),
  botTokenEncrypted: z.string().nullable(),
});
type Stored = z.infer<typeof storedSchema>;

async function readStored(db: Db | Tx): Promise<Stored | null> {
  const value = await readSetting(db, SLACK_APP_SETTING);
  if (value === null) return null;
  try {
    const parsed = storedSchema.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export interface SlackAppSecrets {
  /** The signing secrets a click may be signed with: the saved one, else the environment's. Empty: not set up. */
  signingSecrets: string[];
  botToken: string | null;
  /** Slack's Web API base URL, without a trailing slash. */
  apiUrl: string;
}

/** The secrets in force now, opened with the encryption key (only when a saved one needs opening). */
export async function slackAppSecrets(db: Db, encryptionKey: () => Buffer): Promise<SlackAppSecrets> {
  const stored = await readStored(db);
  const open = (sealed: string | null | undefined, what: string) =>
    sealed ? openSecret(sealed, AAD, encryptionKey(), what) : null;
  const signingSecret = open(stored?.signingSecretEncrypted, "Slack signing secret") ?? env.SLACK_SIGNING_SECRET;
  return {
    signingSecrets: signingSecret ? [signingSecret] : [],
    botToken: open(stored?.botTokenEncrypted, "Slack bot token") ?? env.SLACK_BOT_TOKEN ?? null,
    apiUrl: env.SLACK_API_URL.replace(/\/+$/, ""),
  };
}

/** Whether clicks can be verified, so that messages may carry buttons. No secret is opened for it. */
export async function slackApprovalsEnabled(db: Db): Promise<boolean> {
  const stored = await readStored(db);
  return Boolean(stored?.signingSecretEncrypted ?? env.SLACK_SIGNING_SECRET);
}

type SecretState = "set" | "not set";

/** What the settings page shows: whether each secret is set and where from, never a secret. */
export async function slackAppView(db: Db) {
  const stored = await readStored(db);
  const state = (saved: string | null | undefined, fromEnv: string | undefined) => ({
    state: (saved || fromEnv ? "set" : "not set") satisfies SecretState,
    fromEnvironment: !saved && Boolean(fromEnv),
  });
  return {
    signingSecret: state(stored?.signingSecretEncrypted, env.SLACK_SIGNING_SECRET),
    botToken: state(stored?.botTokenEncrypted, env.SLACK_BOT_TOKEN),
    /** Where Slack's Interactivity Request URL must point (under APP_URL). */
    requestPath: "/api/integrations/slack/interactions",
  };
}

/** Saves the secrets given (an empty one keeps what is saved); audited as which changed, never their values. */
export async function configureSlackApp(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof slackAppSettingsSchema>>,
  options: { now: Date; encryptionKey: () => Buffer },
): Promise<void> {
  const { signingSecret, botToken } = parseInput(slackAppSettingsSchema, input);
  if (signingSecret === null && botToken === null) {
    throw new AppError("VALIDATION", "Invalid input: signingSecret: Enter the signing secret or the bot token", {
      issues: { signingSecret: "Enter the signing secret, the bot token or both" },
    });
  }
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const current = await readStored(tx);
      const seal = (secret: string) => sealSecret(secret, AAD, options.encryptionKey());
      const stored: Stored = {
        signingSecretEncrypted: signingSecret ? seal(signingSecret) : (current?.signingSecretEncrypted ?? null),
        botTokenEncrypted: botToken ? seal(botToken) : (current?.botTokenEncrypted ?? null),
      };
      await writeSetting(tx, SLACK_APP_SETTING, JSON.stringify(stored), actorIdOf(actor));
      await appendAudit(
        tx,
        {
          actor,
          action: "settings.slack_app_set",
          entityType: "Setting",
          entityId: SLACK_APP_SETTING,
          after: { signingSecretChanged: signingSecret !== null, botTokenChanged: botToken !== null },
        },
        options.now,
      );
    }),
  );
}

/** Removes one saved secret; the environment's default applies again, if there is one. */
export async function clearSlackAppSecret(
  db: Db,
  { actor, ...input }: WithActor<z.input<typeof slackAppSecretSchema>>,
  now: Date,
): Promise<void> {
  const { secret } = parseInput(slackAppSecretSchema, input);
  await retryOnConflict(() =>
    db.$transaction(async (tx) => {
      const current = await readStored(tx);
      const stored: Stored = {
        signingSecretEncrypted: secret === "signingSecret" ? null : (current?.signingSecretEncrypted ?? null),
        botTokenEncrypted: secret === "botToken" ? null : (current?.botTokenEncrypted ?? null),
      };
      if (stored.signingSecretEncrypted === null && stored.botTokenEncrypted === null) {
        await deleteSetting(tx, SLACK_APP_SETTING);
      } else {
        await writeSetting(tx, SLACK_APP_SETTING, JSON.stringify(stored), actorIdOf(actor));
      }
      await appendAudit(
        tx,
        {
          actor,
          action: "settings.slack_app_cleared",
          entityType: "Setting",
          entityId: SLACK_APP_SETTING,
          after: { secret },
        },
        now,
      );
    }),
  );
}
