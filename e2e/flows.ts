// Multi-page steps that several specs need, built from the page objects.
import { expect, type Browser, type Page } from "@playwright/test";
import { ADMIN, USER_PASSWORD, uniqueEmail } from "./fixtures";
import { ConsoleShell, LoginPage, UsersPage, type NewUser } from "./pages";

/** Signs in from /login and waits until the console shows its shell. */
export async function signIn(page: Page, email: string, password: string): Promise<ConsoleShell> {
  const login = new LoginPage(page);
  await login.goto();
  await login.login(email, password);
  const shell = new ConsoleShell(page);
  await expect(shell.nav).toBeVisible();
  return shell;
}

export function signInAsAdmin(page: Page): Promise<ConsoleShell> {
  return signIn(page, ADMIN.email, ADMIN.password);
}

/**
 * Creates a user through the admin UI in a browser context of its own, so the test's page keeps
 * its own session (or none).
 */
export async function createUserAsAdmin(
  browser: Browser,
  role: NewUser["role"],
  prefix: string = role.toLowerCase(),
): Promise<NewUser> {
  const user: NewUser = { name: `E2E ${role}`, email: uniqueEmail(prefix), role, password: USER_PASSWORD };
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signInAsAdmin(page);
    const users = new UsersPage(page);
    await users.goto();
    await users.createUser(user);
  } finally {
    await context.close();
  }
  return user;
}
