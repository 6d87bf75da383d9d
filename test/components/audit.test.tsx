// The audit page's banner and export against the real routers on the run's real database (./render). The chain
// is shared by every test of the run: a test that breaks it restores the row before it ends.
import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AuditChainBanner } from "@/components/audit/audit-chain-banner";
import { AuditExport } from "@/components/audit/audit-export";
import { createAuditCheckpoint } from "@/server/services/audit/audit-checkpoints";
import { appendAudit } from "@/server/services/audit/audit-log";
import { makeUser, testDb } from "../integration/helpers";
import { renderAs } from "./render";

const db = testDb();

async function viewer() {
  return { db, userId: (await makeUser(db, "VIEWER")).id };
}

describe("AuditChainBanner", () => {
  it("says the chain verifies, with the number of events, in a named region", async () => {
    // Each user made records an event, so the chain has several to count whatever ran before.
    await makeUser(db, "VIEWER");
    renderAs(await viewer(), <AuditChainBanner />);
    const banner = screen.getByRole("region", { name: "Audit chain verification" });
    await waitFor(() => expect(banner.textContent).toContain("verifies"));
    const count = await db.auditEvent.count();
    expect(banner.textContent).toContain(`The audit chain verifies: ${count.toLocaleString("en")} events, unbroken.`);
  });

  it("names the first broken event and links to it", async () => {
    const targetId = `banner-${randomBytes(4).toString("hex")}`;
    await db.$transaction((tx) =>
      appendAudit(
        tx,
        {
          actor: { type: "SYSTEM" },
          action: "test.banner",
          entityType: "Test",
          entityId: "b1",
          targetId,
          reason: "kept",
        },
        new Date(),
      ),
    );
    const event = await db.auditEvent.findFirstOrThrow({ where: { targetId } });
    await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"rewritten"} WHERE "id" = ${event.id}`;
    try {
      renderAs(await viewer(), <AuditChainBanner />);
      const banner = screen.getByRole("region", { name: "Audit chain verification" });
      await waitFor(() => expect(banner.textContent).toContain("breaks"));
      expect(banner.textContent).toContain(`The chain breaks at event #${event.sequence} (${event.id}`);
      expect(banner.textContent).toContain("hash mismatch");
      expect(banner.textContent).toContain("this event was changed after it was recorded");
      expect(
        within(banner)
          .getByRole("link", { name: `Show event #${event.sequence}` })
          .getAttribute("href"),
      ).toBe(`/audit?before=${event.sequence + 1}&event=${event.sequence}`);
    } finally {
      await db.$executeRaw`UPDATE "AuditEvent" SET "reason" = ${"kept"} WHERE "id" = ${event.id}`;
    }
  });
});

describe("checking against a checkpoint", () => {
  it("says whether a pasted checkpoint matches the chain, and rejects a forged one", async () => {
    const made = await createAuditCheckpoint(db, { actor: null, now: new Date() }, { file: null });
    renderAs(await viewer(), <AuditChainBanner />);
    const banner = screen.getByRole("region", { name: "Audit chain verification" });
    await waitFor(() => expect(banner.textContent).toContain("verifies"));
    const ui = userEvent.setup();
    await ui.click(within(banner).getByText("Check against a checkpoint kept outside Rewind"));
    const field = within(banner).getByRole("textbox");

    await ui.click(field);
    await ui.paste(made.line);
    await ui.click(within(banner).getByRole("button", { name: "Check checkpoint" }));
    await waitFor(() => expect(banner.textContent).toContain("Against your checkpoint"));
    expect(banner.textContent).toContain(`Your checkpoint (event #${made.sequence}, signed`);
    expect(banner.textContent).toContain(`matches: no event up to #${made.sequence} was deleted or rewritten since.`);

    const forged = { ...(JSON.parse(made.line) as object), signature: "0".repeat(64) };
    await ui.clear(field);
    await ui.paste(JSON.stringify(forged));
    await ui.click(within(banner).getByRole("button", { name: "Check checkpoint" }));
    await waitFor(() => expect(banner.textContent).toContain("is not genuine"));

    await ui.clear(field);
    await ui.paste("not a checkpoint");
    await ui.click(within(banner).getByRole("button", { name: "Check checkpoint" }));
    expect(await within(banner).findByText("Not JSON: paste one checkpoint line as it was sent")).toBeInTheDocument();
  });

  it("lets an admin verify every event again and make a checkpoint; viewers do not see those actions", async () => {
    renderAs(await viewer(), <AuditChainBanner />);
    await waitFor(() => expect(screen.getByRole("button", { name: "Verify again" })).toBeEnabled());
    expect(screen.queryByRole("button", { name: "Verify in full" })).toBeNull();
    cleanup();

    const admin = { db, userId: (await makeUser(db, "ADMIN")).id };
    renderAs(admin, <AuditChainBanner isAdmin />);
    const banner = screen.getByRole("region", { name: "Audit chain verification" });
    await waitFor(() => expect(banner.textContent).toContain("verifies"));
    const ui = userEvent.setup();
    await ui.click(screen.getByRole("button", { name: "Verify in full" }));
    await waitFor(() => expect(banner.textContent).toContain("Every event was hashed again"));

    const before = await db.auditCheckpoint.count();
    await ui.click(screen.getByRole("button", { name: "Create checkpoint" }));
    expect(await screen.findByText(/^Checkpoint of event #\d+ signed and sent$/)).toBeInTheDocument();
    expect(await db.auditCheckpoint.count()).toBe(before + 1);
  });
});

describe("AuditExport", () => {
  it("links to the streamed export of the filtered log, in CSV and JSON (test/http/exports.test.ts fetches them)", () => {
    const from = new Date("2027-05-01T12:00:00Z");
    renderAs({ db, userId: null }, <AuditExport filter={{ targetId: "t1", action: "rollback.", from }} filtered />);
    const group = screen.getByRole("group", { name: "Download the events matching these filters:" });
    const href = (name: string) => within(group).getByRole("link", { name }).getAttribute("href");
    expect(href("Export CSV")).toBe(
      "/api/export/audit?format=csv&targetId=t1&action=rollback.&from=2027-05-01T12%3A00%3A00.000Z",
    );
    expect(href("Export JSON")).toBe(
      "/api/export/audit?format=json&targetId=t1&action=rollback.&from=2027-05-01T12%3A00%3A00.000Z",
    );
    cleanup();

    renderAs({ db, userId: null }, <AuditExport filter={{}} filtered={false} />);
    const whole = screen.getByRole("group", { name: "Download the whole log:" });
    expect(within(whole).getByRole("link", { name: "Export CSV" }).getAttribute("href")).toBe(
      "/api/export/audit?format=csv",
    );
  });
});
