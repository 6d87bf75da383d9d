// Settings → Integrations → Target mapping rules against the real routers on the run's real database (./render):
// field errors before anything is sent and from the server, adding and editing by keyboard alone (focus moves into
// the edit form and back), the list in the order rules are tried, and deleting after a confirmation.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { TargetRulesAdmin } from "@/components/settings/target-rules-admin";
import { makeTarget, makeUser, testDb } from "../integration/helpers";
import { renderAs } from "./render";

const db = testDb();

// Rules are global: leave none behind.
afterEach(async () => {
  await db.intakeTargetRule.deleteMany({});
});

describe("TargetRulesAdmin", () => {
  it("refuses bad fields by field, adds by keyboard, edits in place and deletes after confirming", async () => {
    const admin = await makeUser(db, "ADMIN");
    const [chat, mini] = [await makeTarget(db), await makeTarget(db)];
    const { calls } = renderAs({ db, userId: admin.id }, <TargetRulesAdmin />);
    expect(await screen.findByText("No target mapping rules")).toBeInTheDocument();
    const user = userEvent.setup();
    const form = screen.getByRole("form", { name: "Add a rule" });

    // Nothing typed: the form says which fields, and sends nothing.
    await user.click(within(form).getByRole("button", { name: "Add rule" }));
    expect(within(form).getByLabelText("service.name")).toHaveAccessibleDescription(
      expect.stringContaining("service.name is required") as string,
    );
    expect(within(form).getByLabelText("Target")).toHaveAttribute("aria-invalid", "true");
    expect(calls).not.toContain("integrations.createTargetRule");

    await user.click(within(form).getByLabelText("service.name"));
    await user.keyboard("chat-api");
    await user.selectOptions(within(form).getByLabelText("Target"), chat.slug);
    await user.click(within(form).getByLabelText("service.name"));
    await user.keyboard("{Enter}");
    const table = await screen.findByRole("table", { name: /Target mapping rules/ });
    expect(within(table).getByRole("rowheader", { name: "chat-api" })).toBeInTheDocument();

    // The same fields again: the server's refusal lands on service.name.
    const again = screen.getByRole("form", { name: "Add a rule" });
    await user.type(within(again).getByLabelText("service.name"), "chat-api");
    await user.selectOptions(within(again).getByLabelText("Target"), mini.slug);
    await user.click(within(again).getByRole("button", { name: "Add rule" }));
    await waitFor(() =>
      expect(within(again).getByLabelText("service.name")).toHaveAccessibleDescription(
        expect.stringContaining("exists already") as string,
      ),
    );

    // A narrower rule lists first: the order rules are tried in.
    await user.type(within(again).getByLabelText("Model"), "gpt-4o-mini*");
    await user.click(within(again).getByRole("button", { name: "Add rule" }));
    await waitFor(() => expect(within(table).getAllByRole("rowheader")).toHaveLength(2));
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("gpt-4o-mini*");

    // Edit by keyboard: focus moves into the form; Enter saves; focus returns to the rule's Edit button.
    await user.click(screen.getByRole("button", { name: "Edit the rule for chat-api" }));
    const editForm = await screen.findByRole("form", { name: "Edit the rule for chat-api" });
    await waitFor(() => expect(document.activeElement).toBe(within(editForm).getByLabelText("service.name")));
    await user.click(within(editForm).getByLabelText("Operation"));
    await user.keyboard("chat{Enter}");
    const edited = await screen.findByRole("button", { name: "Edit the rule for chat-api · chat" });
    await waitFor(() => expect(document.activeElement).toBe(edited));
    // Exact text beats a pattern: the edited rule now lists first.
    expect(within(table).getAllByRole("row")[1]).toContainElement(edited);
    expect(
      (await db.intakeTargetRule.findFirst({ where: { serviceName: "chat-api", model: "" } }))?.operationName,
    ).toBe("chat");

    await user.click(screen.getByRole("button", { name: "Delete the rule for chat-api · chat" }));
    await user.click(await screen.findByRole("button", { name: "Delete rule" }));
    await waitFor(() => expect(within(table).getAllByRole("rowheader")).toHaveLength(1));
    expect(
      await db.auditEvent.count({ where: { action: { startsWith: "integration.target_rule_" } } }),
    ).toBeGreaterThanOrEqual(4);
  });
});
