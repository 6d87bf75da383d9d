// The flag page's parts against the real routers on the run's real database (./render): the switch, the forms
// and the history. Each test makes its own flags; the system state is shared, so it is left as found.
import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { FlagCreateForm } from "@/components/flags/flag-create-form";
import { FlagEditForm } from "@/components/flags/flag-edit-form";
import { FlagHistory } from "@/components/flags/flag-history";
import { FlagSwitch } from "@/components/flags/flag-switch";
import type { RoleName } from "@/server/domain/roles";
import { userActor } from "@/server/services/audit/audit-log";
import { createFlag, setFlagEnabled, updateFlag } from "@/server/services/config/flags";
import { makeTarget, makeUser, testDb } from "../integration/helpers";
import { renderAs } from "./render";

const db = testDb();
const uniqueKey = (prefix: string) => `${prefix}.${randomBytes(4).toString("hex")}`;

afterEach(async () => {
  await db.systemState.updateMany({ data: { emergencyStopActive: false, monitoringPaused: false } });
});

async function flagAs(role: RoleName, input: { killSwitch?: boolean; enabled?: boolean } = {}) {
  const user = await makeUser(db, role);
  const owner = await makeUser(db, "OPERATOR");
  const flag = await createFlag(db, { actor: userActor(owner.id), key: uniqueKey("ui"), ...input }, new Date());
  return { user, owner, flag: { ...flag, target: null } };
}

const enabledInDb = async (id: string) => (await db.featureFlag.findUniqueOrThrow({ where: { id } })).enabled;

describe("FlagSwitch", () => {
  it("turns a plain flag on at once for an operator, as an accessible switch", async () => {
    const { user, flag } = await flagAs("OPERATOR");
    renderAs({ db, userId: user.id }, <FlagSwitch flag={flag} canEdit emergencyStopActive={false} />);
    const toggle = screen.getByRole("switch", { name: flag.key });
    expect(toggle.getAttribute("aria-checked")).toBe("false");

    await userEvent.setup().click(toggle);
    expect(await screen.findByText(`${flag.key} turned on`)).toBeInTheDocument();
    expect(await enabledInDb(flag.id)).toBe(true);
    expect(await db.auditEvent.findFirst({ where: { entityId: flag.id, action: "flag.enabled" } })).toMatchObject({
      actorId: user.id,
    });
  });

  it("asks before turning a kill switch off, and sends nothing when cancelled", async () => {
    const { user, flag } = await flagAs("OPERATOR", { killSwitch: true, enabled: true });
    const { calls } = renderAs({ db, userId: user.id }, <FlagSwitch flag={flag} canEdit emergencyStopActive={false} />);
    const ui = userEvent.setup();

    await ui.click(screen.getByRole("switch", { name: flag.key }));
    let dialog = screen.getByRole("dialog", { name: `Turn the kill switch ${flag.key} off?` });
    await ui.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(calls).not.toContain("flags.setEnabled");
    expect(await enabledInDb(flag.id)).toBe(true);

    await ui.click(screen.getByRole("switch", { name: flag.key }));
    dialog = screen.getByRole("dialog", { name: `Turn the kill switch ${flag.key} off?` });
    await ui.click(within(dialog).getByRole("button", { name: "Turn off" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(await enabledInDb(flag.id)).toBe(false);
  });

  it("keeps a kill switch off while the emergency stop is active, and viewers from switching anything", async () => {
    const { user, flag } = await flagAs("OPERATOR", { killSwitch: true });
    const operator = renderAs({ db, userId: user.id }, <FlagSwitch flag={flag} canEdit emergencyStopActive={true} />);
    const blocked = screen.getByRole("switch", { name: flag.key });
    expect(blocked).toHaveProperty("disabled", true);
    expect(screen.getByText("Stays off while the emergency stop is active")).toBeInTheDocument();
    operator.unmount();

    const viewer = await makeUser(db, "VIEWER");
    const { calls } = renderAs(
      { db, userId: viewer.id },
      <FlagSwitch flag={flag} canEdit={false} emergencyStopActive={false} />,
    );
    const readOnly = screen.getByRole("switch", { name: flag.key });
    expect(readOnly).toHaveProperty("disabled", true);
    expect(readOnly.getAttribute("title")).toBe("Changing flags needs the operator role");
    await userEvent.setup().click(readOnly);
    expect(calls).toEqual([]);
  });

  it("shows the service's refusal when the state changed underneath", async () => {
    const { user, flag } = await flagAs("OPERATOR", { killSwitch: true });
    // The page still shows no stop, but an approver has just activated it.
    await db.systemState.upsert({
      where: { id: "global" },
      create: { id: "global", emergencyStopActive: true },
      update: { emergencyStopActive: true },
    });
    renderAs({ db, userId: user.id }, <FlagSwitch flag={flag} canEdit emergencyStopActive={false} />);
    const ui = userEvent.setup();
    await ui.click(screen.getByRole("switch", { name: flag.key }));
    await ui.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Turn on" }));
    expect(await screen.findByText(/The emergency stop is active: kill switches stay off/)).toBeInTheDocument();
    expect(screen.getByRole("dialog")).toBeInTheDocument();
    expect(await enabledInDb(flag.id)).toBe(false);
  });
});

describe("FlagCreateForm", () => {
  it("checks the key with the shared schema before sending, shows the server's field error, then creates", async () => {
    const operator = await makeUser(db, "OPERATOR");
    const target = await makeTarget(db);
    const taken = await createFlag(db, { actor: userActor(operator.id), key: uniqueKey("taken") }, new Date());
    const { calls } = renderAs(
      { db, userId: operator.id },
      <FlagCreateForm targets={[target]} emergencyStopActive={false} />,
    );
    const ui = userEvent.setup();
    const key = screen.getByLabelText("Key");

    await ui.click(screen.getByRole("button", { name: "Create flag" }));
    expect(screen.getByText("Key is required")).toBeInTheDocument();
    await ui.type(key, "Not A Key");
    await ui.click(screen.getByRole("button", { name: "Create flag" }));
    expect(screen.getByText(/Use lowercase letters/)).toBeInTheDocument();
    expect(key.getAttribute("aria-invalid")).toBe("true");
    expect(calls).not.toContain("flags.create");

    await ui.clear(key);
    await ui.type(key, taken.key);
    await ui.click(screen.getByRole("button", { name: "Create flag" }));
    expect(await screen.findByText("A flag with this key already exists")).toBeInTheDocument();

    const fresh = uniqueKey("fresh");
    await ui.clear(key);
    await ui.type(key, fresh);
    await ui.type(screen.getByLabelText(/Description/), "Made in the form");
    await ui.selectOptions(screen.getByLabelText("Applies to"), target.id);
    await ui.click(screen.getByRole("checkbox", { name: "Kill switch" }));
    await ui.click(screen.getByRole("button", { name: "Create flag" }));
    expect(await screen.findByText(`Created ${fresh}`)).toBeInTheDocument();
    expect(await db.featureFlag.findUnique({ where: { key: fresh } })).toMatchObject({
      description: "Made in the form",
      targetId: target.id,
      killSwitch: true,
      enabled: false,
    });
    expect((key as HTMLInputElement).value).toBe("");
  });
});

describe("FlagEditForm and FlagHistory", () => {
  it("saves a new description and kill-switch mark, and the history names who changed what", async () => {
    const { user, owner, flag } = await flagAs("OPERATOR", { enabled: true });
    renderAs(
      { db, userId: user.id },
      <>
        <FlagEditForm flag={flag} emergencyStopActive={false} />
        <FlagHistory flagId={flag.id} flagKey={flag.key} />
      </>,
    );
    const ui = userEvent.setup();
    const history = await screen.findByRole("region", { name: `History of ${flag.key}` });
    expect(await within(history).findByText(/created the flag \(on\)/)).toBeInTheDocument();
    expect(history.textContent).toContain(owner.name);

    await ui.type(screen.getByLabelText("Description"), "Stream tokens");
    await ui.click(screen.getByRole("checkbox", { name: "Kill switch" }));
    await ui.click(screen.getByRole("button", { name: "Save changes" }));
    expect(await screen.findByText(`Saved ${flag.key}`)).toBeInTheDocument();
    expect(await within(history).findByText("description: (empty) → “Stream tokens”")).toBeInTheDocument();
    expect(within(history).getByText("killSwitch: off → on")).toBeInTheDocument();
    expect(history.textContent).toContain(`${user.name} (${user.email}) edited the flag`);
    expect(within(history).getByRole("link", { name: "Open in the audit log" }).getAttribute("href")).toBe(
      `/audit?entityType=FeatureFlag&entityId=${flag.id}`,
    );
  });

  it("shows the ten latest changes and links to the audit log for the older ones", async () => {
    const { user, flag } = await flagAs("VIEWER");
    const actor = userActor((await makeUser(db, "OPERATOR")).id);
    for (let i = 0; i < 12; i++) {
      await setFlagEnabled(db, { actor, id: flag.id, enabled: i % 2 === 0 }, new Date());
    }
    await updateFlag(db, { actor, id: flag.id, description: "latest" }, new Date());
    renderAs({ db, userId: user.id }, <FlagHistory flagId={flag.id} flagKey={flag.key} />);
    expect(await screen.findByRole("link", { name: "Older changes in the audit log" })).toBeInTheDocument();
    const history = screen.getByRole("region", { name: `History of ${flag.key}` });
    expect(history.querySelectorAll("ol > li")).toHaveLength(10);
    expect(history.querySelector("ol > li")?.textContent).toContain("description: (empty) → “latest”");
  });
});
