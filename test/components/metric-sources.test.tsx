// Settings → Integrations → Pulled metrics against the real routers on the run's real database (./render) and a
// local Prometheus stand-in: field errors by path, a test pull showing readings or the error, a save from the
// keyboard, and the token never shown back.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, describe, expect, it, vi } from "vitest";
import { MetricSourcesAdmin } from "@/components/settings/metric-sources-admin";
import { makeTarget, makeUser, testDb } from "../integration/helpers";
import { prometheusStandIn } from "../integration/pulled-sources/stand-ins";
import { renderAs } from "./render";

// Read by server/env.js when it loads: saving seals the token with it.
vi.hoisted(() => {
  process.env.API_KEY_ENCRYPTION_KEY = "cd".repeat(32);
});

const db = testDb();
const TOKEN = "prom-token-abcdef0123456789";
const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

describe("MetricSourcesAdmin", () => {
  it("shows errors by field, test-pulls the form, saves from the keyboard and never shows the token", async () => {
    const server = await prometheusStandIn((query) => ({ requests: "321", p95: "845.5" })[query]);
    closers.push(server.close);
    const admin = await makeUser(db, "ADMIN");
    const target = await makeTarget(db);
    const { calls } = renderAs({ db, userId: admin.id }, <MetricSourcesAdmin />);
    const user = userEvent.setup();
    await user.selectOptions(await screen.findByLabelText("Target to pull metrics for"), target.id);

    const url = screen.getByLabelText("Prometheus base URL");
    await user.type(url, "ftp://prometheus");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(url).toHaveAttribute("aria-invalid", "true"));
    expect(url).toHaveAccessibleDescription(expect.stringContaining("https or http") as string);
    const requestCount = screen.getByLabelText("Request count (requests in the window)");
    expect(requestCount).toHaveAccessibleDescription(expect.stringContaining("minimum of requests") as string);
    expect(await db.metricSource.count({ where: { targetId: target.id } })).toBe(0);

    await user.clear(url);
    await user.type(url, server.url);
    await user.type(requestCount, "requests");
    await user.type(screen.getByLabelText("P95 latency (milliseconds), optional"), "unknown");
    await user.type(screen.getByLabelText("Bearer token (optional)"), TOKEN);
    await user.click(screen.getByRole("button", { name: "Test pull" }));
    expect(await screen.findByText(/Test pull failed .*P95 latency: HTTP 400 \(bad_data\)/)).toBeInTheDocument();

    const p95 = screen.getByLabelText("P95 latency (milliseconds), optional");
    await user.clear(p95);
    await user.type(p95, "p95");
    await user.click(screen.getByRole("button", { name: "Test pull" }));
    const readings = await screen.findByRole("table", { name: "Readings of the test pull" });
    expect(within(readings).getByRole("row", { name: /Request count 321/ })).toBeInTheDocument();
    expect(within(readings).getByRole("row", { name: /P95 latency 846 ms/ })).toBeInTheDocument();
    expect(server.requests.at(-1)?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(await db.metricSource.count({ where: { targetId: target.id } })).toBe(0);

    await user.click(url);
    await user.keyboard("{Enter}");
    expect(await screen.findByText("Metric source saved")).toBeInTheDocument();
    const table = await screen.findByRole("table", { name: "Targets with a pulled metric source" });
    expect(within(table).getByRole("rowheader", { name: target.name })).toBeInTheDocument();
    expect(screen.getByLabelText("Replace the bearer token")).toHaveValue("");
    expect(calls).toContain("metricSources.save");
    expect(document.body.innerHTML).not.toContain(TOKEN);
    expect(await db.metricSource.findUnique({ where: { targetId: target.id } })).toMatchObject({
      kind: "PROMETHEUS",
      config: { url: server.url, timeoutSeconds: 5, queries: { requestCount: "requests", p95Ms: "p95" } },
    });
  });
});
