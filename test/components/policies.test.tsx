// The policies page against the real routers on the run's real database (./render): field errors from the
// shared schema that stop a save, the review and the save of a new version, the read-only view, and a backtest
// of the draft next to the current policy.
import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { PoliciesView } from "@/components/policies/policy-editor";
import { bucketStart } from "@/server/domain/metrics";
import { recordMetrics } from "@/server/services/metrics/buckets";
import { updatePolicy } from "@/server/services/config/policies";
import { BUCKET_MS, makeTarget, makeUser, testDb, traffic } from "../integration/helpers";
import { renderAs } from "./render";

vi.mock("next/navigation", () => ({ useRouter: () => ({ replace: vi.fn() }), usePathname: () => "/policies" }));

const db = testDb();
const answered = { timeout: 10_000 };

async function renderFor(role: "VIEWER" | "OPERATOR", slug: string) {
  const user = await makeUser(db, role);
  const rendered = renderAs({ db, userId: user.id }, <PoliciesView slug={slug} canEdit={role === "OPERATOR"} />);
  await screen.findByLabelText("Max error rate", {}, answered);
  return { user, ...rendered };
}

describe("policy editor", () => {
  it("shows an invalid value's error next to its field and saves nothing until it is fixed", async () => {
    const target = await makeTarget(db);
    const { calls } = await renderFor("OPERATOR", target.slug);
    const user = userEvent.setup();
    const rate = screen.getByLabelText("Max error rate");

    await user.clear(rate);
    await user.type(rate, "2");
    const message = "Max error rate is a fraction and must be at most 1 (100%)";
    expect(rate.getAttribute("aria-invalid")).toBe("true");
    const errorId = rate.getAttribute("aria-describedby")?.split(" ")[0] ?? "";
    expect(document.getElementById(errorId)?.textContent).toBe(message);
    expect(screen.getByRole("button", { name: "Review and save…" })).toHaveProperty("disabled", true);
    expect(screen.getByText(/1 field needs fixing before saving/)).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Review and save…" }));
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(calls).not.toContain("policies.update");
    expect(await db.policy.count({ where: { targetId: target.id } })).toBe(0);

    await user.clear(rate);
    await user.type(rate, "0.03");
    await user.clear(screen.getByLabelText("Steps"));
    await user.type(screen.getByLabelText("Steps"), "50, 100");
    expect(rate.getAttribute("aria-invalid")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Review and save…" }));
    const dialog = await screen.findByRole("dialog");
    expect(
      within(dialog).getByRole("heading", { name: `Save version 1 of the ${target.slug} policy?` }),
    ).toBeInTheDocument();
    const rows = within(dialog)
      .getAllByRole("row")
      .slice(1)
      .map((row) => row.textContent);
    expect(rows).toEqual(["Max error rate5%→ 3%", "Steps25% → 50% → 100%→ 50% → 100%"]);
    await user.click(within(dialog).getByRole("button", { name: "Save new version" }));

    await screen.findByText(/^Version 1, saved by/, {}, answered);
    const saved = await db.policy.findFirstOrThrow({ where: { targetId: target.id } });
    expect(saved.config).toMatchObject({ maxErrorRate: 0.03, steps: [50, 100] });
    expect(await screen.findByRole("button", { name: /^View\s*version 1$/ }, answered)).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Review and save…" })).toHaveProperty("disabled", true);
  });

  it("is read-only for viewers, with the reason, and shows an old version's differences from the current one", async () => {
    const target = await makeTarget(db);
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: { maxErrorRate: 0.02 } }, new Date());
    await updatePolicy(db, { actorId: null, targetId: target.id, policy: { maxErrorRate: 0.04 } }, new Date());
    const { calls } = await renderFor("VIEWER", target.slug);
    const user = userEvent.setup();

    expect(screen.getByText(/Read-only: editing policies needs the operator role/)).toBeInTheDocument();
    expect(screen.getByLabelText("Max error rate").hasAttribute("readonly")).toBe(true);
    expect(screen.getByLabelText("Mode")).toHaveProperty("disabled", true);
    expect(screen.queryByRole("button", { name: "Review and save…" })).toBeNull();

    await user.click(await screen.findByRole("button", { name: /^View\s*version 1$/ }, answered));
    expect(screen.getByRole("heading", { name: "Version 1 → current (version 2)" })).toBeInTheDocument();
    expect(screen.getByRole("row", { name: /Max error rate/ }).textContent).toBe("Max error rate2%→ 4%");
    expect(screen.queryByRole("button", { name: /Load version 1/ })).toBeNull();
    expect(calls).not.toContain("policies.update");
  });

  it("backtests the draft next to the current policy over the stored metrics", async () => {
    const target = await makeTarget(db, { currentSnapshotId: "snap-new", knownGoodSnapshotId: "snap-good" });
    await updatePolicy(
      db,
      {
        actorId: null,
        targetId: target.id,
        policy: {
          evaluationWindowSeconds: 60,
          verificationWindowSeconds: 60,
          minRequests: 10,
          burnRate: { enabled: false },
        },
      },
      new Date(),
    );
    // Twenty minutes of traffic two hours ago, at 3 s P95: within the current 8 s limit, over a 1 s one.
    const from = bucketStart(Date.now() - 2 * 3_600_000, BUCKET_MS);
    await recordMetrics(
      db,
      { targetId: target.id, events: traffic(from, 1_200, { latencyMs: 3_000 }) },
      { bucketWidthMs: BUCKET_MS, now: new Date() },
    );
    const { calls } = await renderFor("OPERATOR", target.slug);
    const user = userEvent.setup();

    await user.clear(screen.getByLabelText("Max P95 latency"));
    await user.type(screen.getByLabelText("Max P95 latency"), "1000");
    await user.click(screen.getByRole("button", { name: "Backtest the draft and the current policy" }));
    const summary = await screen.findByTestId("backtest-summary", {}, { timeout: 30_000 });
    expect(summary.textContent).toBe("Draft: 1 proposal; Current (v1): no rollbacks.");
    // One request reads the metrics once for both policies and the chart.
    expect(calls.filter((call) => call === "policies.backtestComparison")).toHaveLength(1);
    expect(calls).not.toContain("policies.backtest");
    expect(calls).not.toContain("metrics.series");
    expect(calls).not.toContain("policies.update");
  });
});
