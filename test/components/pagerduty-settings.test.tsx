// Settings → Notifications → PagerDuty against the real routers on the run's real database (./render):
// field errors before anything is sent, a save by keyboard alone, and the key never shown back.
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PagerDutySettings } from "@/components/settings/pagerduty-settings";
import { makeUser, testDb } from "../integration/helpers";
import { renderAs } from "./render";

// Read by server/env.js when it loads: saving seals the key with it.
vi.hoisted(() => {
  process.env.API_KEY_ENCRYPTION_KEY = "cd".repeat(32);
});

const db = testDb();
const KEY = "R0abcdef0123456789abcdef0123wxyz";

afterEach(async () => {
  await db.setting.deleteMany({ where: { key: "pagerduty.events" } });
});

describe("PagerDutySettings", () => {
  it("shows field errors and sends nothing while the input is invalid", async () => {
    const admin = await makeUser(db, "ADMIN");
    const { calls } = renderAs({ db, userId: admin.id }, <PagerDutySettings />);
    expect(await screen.findByText("Not connected")).toBeInTheDocument();
    const user = userEvent.setup();

    await user.click(screen.getByRole("button", { name: "Save" }));
    const key = screen.getByLabelText("Integration key");
    expect(key).toHaveAttribute("aria-invalid", "true");
    expect(key).toHaveAccessibleDescription(expect.stringContaining("Enter the integration key") as string);

    await user.type(key, "not-a-key");
    await user.type(screen.getByLabelText("Events URL (optional)"), "http://events.example.com/v2/enqueue");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByLabelText("Events URL (optional)")).toHaveAccessibleDescription(
      expect.stringContaining("must use https") as string,
    );
    expect(calls).not.toContain("notifications.configureChannel");
    expect(await db.setting.findUnique({ where: { key: "pagerduty.events" } })).toBeNull();
  });

  it("saves the key from the keyboard and shows only its last 4 characters", async () => {
    const admin = await makeUser(db, "ADMIN");
    const { calls } = renderAs({ db, userId: admin.id }, <PagerDutySettings />);
    await screen.findByText("Not connected");
    const user = userEvent.setup();

    await user.click(screen.getByLabelText("Integration key"));
    await user.keyboard(`${KEY}{Enter}`);
    expect(await screen.findByText("wxyz")).toBeInTheDocument();
    expect(screen.getByText("Connected")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Send test event" })).toBeInTheDocument();
    expect(calls).toContain("notifications.configureChannel");
    await waitFor(() => expect(screen.getByLabelText("Replace the integration key")).toHaveValue(""));
    expect(document.body.innerHTML).not.toContain(KEY);
  });
});
