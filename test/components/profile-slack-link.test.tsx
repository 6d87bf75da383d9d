// Profile → Slack against the real routers on the run's real database (./render): a user links their own Slack
// member ID, sees why another user's ID is refused, and unlinks it.
import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SlackLink } from "@/components/profile/slack-link";
import { makeUser, testDb } from "../integration/helpers";
import { renderAs } from "./render";

const db = testDb();
const memberId = () => `U${randomBytes(5).toString("hex").toUpperCase()}`;

describe("SlackLink", () => {
  it("links the user's own member ID, refuses one linked to someone else by field, and unlinks", async () => {
    const [ana, bo] = [await makeUser(db, "VIEWER"), await makeUser(db, "APPROVER")];
    const taken = memberId();
    await db.user.update({ where: { id: bo.id }, data: { slackUserId: taken } });
    const mine = memberId();
    const { calls } = renderAs({ db, userId: ana.id }, <SlackLink />);
    expect(await screen.findByText("Not linked")).toBeInTheDocument();
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Your Slack member ID"), "T123");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByLabelText("Your Slack member ID")).toHaveAccessibleDescription(
      expect.stringContaining("U or W followed by letters and digits") as string,
    );
    expect(calls).not.toContain("users.setMySlackLink");

    await user.clear(screen.getByLabelText("Your Slack member ID"));
    await user.type(screen.getByLabelText("Your Slack member ID"), `${taken}{Enter}`);
    expect(
      await screen.findByText("This Slack member ID is linked to another Rewind user", { exact: false }),
    ).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Your Slack member ID"));
    await user.type(screen.getByLabelText("Your Slack member ID"), `${mine.toLowerCase()}{Enter}`);
    expect(await screen.findByText(mine)).toBeInTheDocument();
    expect(await db.user.findUnique({ where: { id: ana.id }, select: { slackUserId: true } })).toEqual({
      slackUserId: mine,
    });

    await user.click(screen.getByRole("button", { name: "Unlink" }));
    await waitFor(() => expect(screen.getByText("Not linked")).toBeInTheDocument());
    expect(await db.user.findUnique({ where: { id: ana.id }, select: { slackUserId: true } })).toEqual({
      slackUserId: null,
    });
  });
});
