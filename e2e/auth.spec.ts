// Sign-in, sign-out, role checks and user management, through the browser against the real server.
import { expect, test } from "@playwright/test";
import { ADMIN, USER_PASSWORD, uniqueEmail } from "./fixtures";
import { createUserAsAdmin, signIn, signInAsAdmin } from "./flows";
import { ConsoleShell, LoginPage, UsersPage } from "./pages";

test("a wrong password shows an error and stays on the sign-in page", async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.login(ADMIN.email, "not-the-admin-password");
  await login.expectError("Wrong email or password");
  await expect(page).toHaveURL("/login");
  await expect(new ConsoleShell(page).nav).toHaveCount(0);

  // One failure stays far from the throttle's free attempts (and every run has a fresh database).
  await login.login(ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL("/");
});

test("an admin signs in, opens Settings → Users and creates a viewer", async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.login(ADMIN.email, ADMIN.password);

  const shell = new ConsoleShell(page);
  await expect(page).toHaveURL("/");
  await expect(shell.nav).toBeVisible();
  await expect(shell.heading("Overview")).toBeVisible();

  const users = new UsersPage(page);
  await users.openFromNav();
  await expect(page).toHaveURL("/settings/users");
  const viewer = { name: "New Viewer", email: uniqueEmail("viewer"), role: "Viewer", password: USER_PASSWORD } as const;
  await users.createUser(viewer);

  // The row comes from the server, not from the form's memory.
  await page.reload();
  await users.expectLoaded();
  await users.expectUser(viewer.email, "Viewer");
});

test("a viewer can open neither the Users page nor the admin procedures", async ({ browser, page }) => {
  const viewer = await createUserAsAdmin(browser, "Viewer");
  await signIn(page, viewer.email, viewer.password);

  const response = await page.goto("/settings/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "You can’t open this page" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Add a user" })).toHaveCount(0);

  // The page is not the only guard: the procedure refuses the viewer's session on its own (sent from the
  // console's origin, as the page's own script would, so the cross-site guard lets it through to the role check).
  const attempt = await page.request.post("/api/trpc/users.create", {
    data: { json: { name: "Sneaky", email: uniqueEmail("sneaky"), role: "ADMIN", password: USER_PASSWORD } },
    headers: { origin: new URL(page.url()).origin },
  });
  expect(attempt.status()).toBe(403);
  // With the superjson transformer the error shape sits under `json`.
  const body = (await attempt.json()) as { error?: { json?: { data?: { code?: string } } } };
  expect(body.error?.json?.data?.code).toBe("FORBIDDEN");
});

test("signing out returns to sign-in, and the console asks for it again", async ({ page }) => {
  const shell = await signInAsAdmin(page);
  await shell.signOut();
  await expect(page).toHaveURL("/login");

  await page.goto("/");
  await expect(page).toHaveURL("/login?callbackUrl=%2F");
  await expect(shell.nav).toHaveCount(0);
});

test("an unauthenticated visit goes to sign-in and comes back afterwards", async ({ page }) => {
  await page.goto("/rollbacks");
  await expect(page).toHaveURL("/login?callbackUrl=%2Frollbacks");

  await new LoginPage(page).login(ADMIN.email, ADMIN.password);
  await expect(page).toHaveURL("/rollbacks");
  await expect(new ConsoleShell(page).heading("Rollbacks")).toBeVisible();
});

test("the create-user form rejects invalid input and duplicate emails", async ({ page }) => {
  await signInAsAdmin(page);
  const users = new UsersPage(page);
  await users.goto();

  const badEmail = "not-an-email";
  await users.submitUser({ name: "Bad Input", email: badEmail, role: "Viewer", password: "short" });
  await users.expectFieldError(users.email, "Enter a valid email address");
  await users.expectFieldError(users.password, "Use at least 12 characters");

  const shortPasswordEmail = uniqueEmail("short-password");
  await users.submitUser({
    name: "Short Password",
    email: shortPasswordEmail,
    role: "Viewer",
    password: "elevenchars",
  });
  await users.expectFieldError(users.password, "Use at least 12 characters");
  await expect(users.email).toHaveAttribute("aria-invalid", "false");

  // Nothing was created: the list the server returns after a reload has neither address.
  await page.reload();
  await users.expectLoaded();
  await users.expectNoUser(badEmail);
  await users.expectNoUser(shortPasswordEmail);

  const user = {
    name: "Only Once",
    email: uniqueEmail("duplicate"),
    role: "Operator",
    password: USER_PASSWORD,
  } as const;
  await users.createUser(user);
  await users.submitUser({ ...user, name: "Twice" });
  await users.expectFieldError(users.email, "A user with this email already exists");
  await page.reload();
  await users.expectLoaded();
  await expect(users.row(user.email)).toHaveCount(1);
});

test("wrong passwords slow sign-in down with a wait the form shows, never a lock", async ({ browser, page }) => {
  // A user of its own, so the seeded admin is never throttled.
  const user = await createUserAsAdmin(browser, "Viewer", "throttled");
  const login = new LoginPage(page);
  await login.goto();
  for (let attempt = 1; attempt <= 5; attempt++) {
    await login.login(user.email, `wrong-password-${attempt}`);
    await login.expectError("Wrong email or password");
  }

  // The first waits are a second or two: keep guessing until the form says to wait, then wait as told.
  const wait = page.getByRole("alert").filter({ hasText: /Too many attempts, try again in \d+ s/ });
  for (let attempt = 6; attempt <= 10 && !(await wait.isVisible()); attempt++) {
    await login.login(user.email, `wrong-password-${attempt}`);
    // The button reads "Sign in" again once the form has shown the answer.
    await expect(login.submit).toBeEnabled();
  }
  const seconds = Number(/in (\d+) s/.exec((await wait.textContent()) ?? "")?.[1]);
  expect(seconds).toBeGreaterThan(0);
  await page.waitForTimeout(seconds * 1000 + 500);
  await login.login(user.email, user.password);
  await expect(page).toHaveURL("/");
});
