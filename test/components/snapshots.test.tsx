// The snapshots page against the real routers on the run's real database (./render): the list's marks, the
// diff of two versions, marking known-good and restoring with a reason, and what a viewer may do.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { SnapshotsView } from "@/components/snapshots/snapshots-view";
import { makeTarget, makeUser, testDb } from "../integration/helpers";
import { lifecycleTarget } from "../integration/lifecycle-fixtures";
import { renderAs } from "./render";

vi.mock("next/navigation", () => ({ useRouter: () => ({ replace: vi.fn() }), usePathname: () => "/snapshots" }));

const db = testDb();
const answered = { timeout: 10_000 };

async function renderFor(role: "VIEWER" | "OPERATOR", slug: string) {
  const user = await makeUser(db, role);
  const rendered = renderAs({ db, userId: user.id }, <SnapshotsView slug={slug} canEdit={role === "OPERATOR"} />);
  await screen.findByRole("heading", { name: /^Snapshots of / }, answered);
  return { user, ...rendered };
}

const rowOf = (version: number) => screen.getByRole("rowheader", { name: new RegExp(`^v${version}`) }).closest("tr")!;

describe("snapshots page", () => {
  it("lists versions with their marks and diffs the current one with the one before", async () => {
    const { target } = await lifecycleTarget(db);
    await renderFor("VIEWER", target.slug);

    expect(within(rowOf(2)).getByText("Current")).toBeInTheDocument();
    expect(within(rowOf(1)).getByText("Known-good · rollback target")).toBeInTheDocument();
    expect(
      await screen.findByText("1 change from v1 to v2: 0 added, 0 removed, 1 changed.", {}, answered),
    ).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "Changes from A to B" });
    expect(within(table).getAllByRole("row")[1]?.textContent?.replace(/\s/g, " ")).toBe(
      'model~ Changed"model-v1""model-v2"',
    );
    expect(screen.getByText(/Marking known-good and restoring a snapshot need the operator role/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Restore|Mark known-good|Unmark/ })).toBeNull();
  });

  it("restores an older snapshot as a manual rollback that waits for approval", async () => {
    const { target, good, bad } = await lifecycleTarget(db);
    const { user, calls } = await renderFor("OPERATOR", target.slug);
    const click = userEvent.setup();

    expect(within(rowOf(2)).queryByRole("button", { name: /Restore/ })).toBeNull();
    await click.click(within(rowOf(1)).getByRole("button", { name: /^Restore\s*v1$/ }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toContain("This requests a manual rollback from v2 to v1");
    expect(within(dialog).getByRole("button", { name: "Request the rollback" })).toHaveProperty("disabled", true);
    await click.type(within(dialog).getByLabelText("Reason"), "v2 doubled the latency");
    await click.click(within(dialog).getByRole("button", { name: "Request the rollback" }));

    const notice = await screen.findByText(/Restore of v1 requested/, {}, answered);
    const rollback = await db.rollback.findFirstOrThrow({ where: { targetId: target.id } });
    expect(rollback).toMatchObject({
      trigger: "MANUAL",
      status: "PENDING_APPROVAL",
      fromSnapshotId: bad.id,
      toSnapshotId: good.id,
      requestedById: user.id,
      reason: "v2 doubled the latency",
    });
    expect(within(notice).getByRole("link", { name: "Approvals" }).getAttribute("href")).toBe("/approvals");
    expect(within(notice).getByRole("link", { name: "the rollback" }).getAttribute("href")).toBe(
      `/rollbacks/${rollback.id}`,
    );
    expect(calls.filter((call) => call === "rollbacks.requestManual")).toHaveLength(1);
  });

  it("marks a snapshot known-good with a reason, and explains how to publish the first one", async () => {
    const { target, bad } = await lifecycleTarget(db);
    await renderFor("OPERATOR", target.slug);
    const click = userEvent.setup();

    await click.click(within(rowOf(2)).getByRole("button", { name: /^Mark known-good\s*v2$/ }));
    const dialog = await screen.findByRole("dialog");
    await click.type(within(dialog).getByLabelText("Why is it known-good?"), "Verified by hand");
    await click.click(within(dialog).getByRole("button", { name: "Mark known-good" }));
    await screen.findByText("v2 is known-good: rollbacks of " + target.slug + " go to it", {}, answered);
    expect(await db.target.findUniqueOrThrow({ where: { id: target.id } })).toMatchObject({
      knownGoodSnapshotId: bad.id,
    });
    await waitFor(
      () => expect(within(rowOf(2)).getByText("Known-good · rollback target")).toBeInTheDocument(),
      answered,
    );

    const empty = await makeTarget(db);
    const user = await makeUser(db, "OPERATOR");
    renderAs({ db, userId: user.id }, <SnapshotsView slug={empty.slug} canEdit />);
    const state = await screen.findByRole("heading", { name: `No snapshots of ${empty.slug} yet` }, answered);
    expect(state.parentElement?.textContent).toContain(`POST /api/v1/targets/${empty.slug}/snapshots`);
  });
});
