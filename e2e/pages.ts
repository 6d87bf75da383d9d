// Page objects: the specs speak in user actions; locators are the accessible names a person sees.
import { expect, type Locator, type Page } from "@playwright/test";

export class LoginPage {
  readonly email: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  constructor(readonly page: Page) {
    this.email = page.getByLabel("Email", { exact: true });
    this.password = page.getByLabel("Password", { exact: true });
    this.submit = page.getByRole("button", { name: "Sign in" });
  }

  async goto(callbackUrl?: string): Promise<void> {
    await this.page.goto(callbackUrl ? `/login?callbackUrl=${encodeURIComponent(callbackUrl)}` : "/login");
  }

  /**
   * Submits the form and waits for the server's answer, so consecutive attempts never overlap
   * (the button stays disabled until the form has handled that answer).
   */
  async login(email: string, password: string): Promise<void> {
    await this.email.fill(email);
    await this.password.fill(password);
    await Promise.all([
      this.page.waitForResponse((response) => new URL(response.url()).pathname === "/api/auth/callback/credentials"),
      this.submit.click(),
    ]);
  }

  /** Next's route announcer is a second, usually empty, role="alert": match on the message. */
  async expectError(message: string | RegExp): Promise<void> {
    await expect(this.page.getByRole("alert").filter({ hasText: message })).toBeVisible();
    await expect(this.page).toHaveURL(/\/login(\?|$)/);
  }
}

export class ConsoleShell {
  readonly nav: Locator;
  readonly signOutButton: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole("navigation", { name: "Main" });
    this.signOutButton = page.getByRole("button", { name: "Sign out" });
  }

  heading(name: string): Locator {
    return this.page.getByRole("heading", { level: 1, name, exact: true });
  }

  /** Follows a nav link; `heading` is the page's title where it differs from the link ("Flags"). */
  async open(linkName: string, heading = linkName): Promise<void> {
    await this.nav.getByRole("link", { name: linkName, exact: true }).click();
    await expect(this.heading(heading)).toBeVisible();
  }

  async signOut(): Promise<void> {
    await this.signOutButton.click();
    await expect(this.page).toHaveURL(/\/login$/);
  }
}

export type NewUser = {
  name: string;
  email: string;
  role: "Viewer" | "Operator" | "Approver" | "Admin";
  password: string;
};

export class UsersPage {
  readonly shell: ConsoleShell;
  readonly form: Locator;
  readonly name: Locator;
  readonly email: Locator;
  readonly role: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly toast: Locator;

  constructor(readonly page: Page) {
    this.shell = new ConsoleShell(page);
    this.form = page.getByRole("region", { name: "Add a user" });
    this.name = this.form.getByLabel("Name", { exact: true });
    this.email = this.form.getByLabel("Email", { exact: true });
    this.role = this.form.getByLabel("Role", { exact: true });
    this.password = this.form.getByLabel("Initial password (12+ characters)");
    this.submit = this.form.getByRole("button", { name: "Create user" });
    this.toast = page.getByRole("status");
  }

  async goto(): Promise<void> {
    await this.page.goto("/settings/users");
    await this.expectLoaded();
  }

  /** The way a person gets there: Settings in the nav, then Users. */
  async openFromNav(): Promise<void> {
    await this.shell.open("Settings");
    await this.page.getByRole("link", { name: /^Users\b/ }).click();
    await this.expectLoaded();
  }

  async expectLoaded(): Promise<void> {
    await expect(this.shell.heading("Users")).toBeVisible();
    await expect(this.page.getByRole("table", { name: "Team members" })).toBeVisible();
  }

  /** Fills and submits the form; does not wait for an outcome (see createUser). */
  async submitUser(user: NewUser): Promise<void> {
    await this.name.fill(user.name);
    await this.email.fill(user.email);
    await this.role.selectOption({ label: user.role });
    await this.password.fill(user.password);
    await this.submit.click();
  }

  async createUser(user: NewUser): Promise<void> {
    await this.submitUser(user);
    await expect(this.toast).toContainText(`Created ${user.email}`);
    await this.expectUser(user.email, user.role);
  }

  row(email: string): Locator {
    return this.page.getByRole("row").filter({ has: this.page.getByRole("cell", { name: email, exact: true }) });
  }

  async expectUser(email: string, role: NewUser["role"]): Promise<void> {
    await expect(this.row(email)).toBeVisible();
    await expect(this.page.getByLabel(`Role of ${email}`, { exact: true })).toHaveValue(role.toUpperCase());
  }

  async expectNoUser(email: string): Promise<void> {
    await expect(this.row(email)).toHaveCount(0);
  }

  /** The message shown under a field, read as the field's accessible description. */
  async expectFieldError(field: Locator, message: string): Promise<void> {
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAccessibleDescription(message);
  }
}

/** An ended rollback's incident report (/rollbacks/[id]/report), opened from the rollback's page. */
export class IncidentReportPage {
  readonly durations: Locator;
  readonly decisions: Locator;
  readonly download: Locator;

  constructor(readonly page: Page) {
    this.durations = page.getByRole("region", { name: /^Time from the/ });
    this.decisions = page.getByRole("table", { name: "Who decided" });
    this.download = page.getByRole("button", { name: "Download Markdown" });
  }

  /** From the rollback's page: its "Incident report" link, shown once the rollback has ended. */
  async openFromRollback(rollbackId: string): Promise<void> {
    await this.page.goto(`/rollbacks/${rollbackId}`);
    await this.page.getByRole("link", { name: "Incident report" }).click();
    await expect(this.page).toHaveURL(new RegExp(`/rollbacks/${rollbackId}/report$`));
    await expect(this.page.getByRole("heading", { level: 1, name: /^Incident report: / })).toBeVisible();
  }

  /** The headline duration of a point ("Rollback requested", "Approved", "Rollback completed", "Recovered"). */
  duration(label: string): Locator {
    return this.durations.getByRole("listitem", { name: new RegExp(`^${label}: `) });
  }

  /** Downloads the Markdown export; resolves to its file name and content. */
  async downloadMarkdown(): Promise<{ name: string; content: string }> {
    const [download] = await Promise.all([this.page.waitForEvent("download"), this.download.click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { name: download.suggestedFilename(), content: Buffer.concat(chunks).toString("utf8") };
  }
}
