import { expect, test } from '@playwright/test';
import { hydrated, signInAs, trackErrors } from './helpers';

test('an anonymous visitor is sent to the sign-in page, which is server-rendered', async ({ request }) => {
  const home = await request.get('/', { maxRedirects: 0 });
  expect(home.status()).toBe(302);
  expect(home.headers()['location']).toBe('/sign-in');

  const signIn = await request.get('/sign-in');
  expect(signIn.status()).toBe(200);
  const html = await signIn.text();
  expect(html).toContain('Sign in to Herald');
  expect(html).toContain('Alice Adams');
  expect(html).toMatch(/<link[^>]+href="\/pkg\/herald\.css"/);
  expect(html).toMatch(/<script type="module"[^>]*>[^<]*herald/);
});

test('the page hydrates and signing in goes through a server function', async ({ page }) => {
  const errors = trackErrors(page);
  await signInAs(page, 'Alice Adams');
  await expect(page.getByRole('heading', { name: 'Welcome, Alice' })).toBeVisible();
  await expect(page.getByTestId('viewer-name')).toHaveText('Alice Adams');
  await expect(page.getByTestId('viewer-groups')).toContainText('group:default/team-a');
  await expect(page).toHaveTitle('Home · Herald');
  expect(errors).toEqual([]);
});

test('a session survives a reload and ends with sign-out', async ({ page }) => {
  const errors = trackErrors(page);
  await signInAs(page, 'Carol Chen');
  await page.reload();
  await hydrated(page);
  await expect(page.getByRole('heading', { name: 'Welcome, Carol' })).toBeVisible();
  // Carol is in a sub-team: she belongs to the parent team too.
  await expect(page.getByTestId('viewer-groups')).toContainText('group:default/team-a-infra');
  await expect(page.getByTestId('viewer-groups')).toContainText('group:default/team-a');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await page.goto('/');
  await expect(page).toHaveURL(/\/sign-in$/);
  expect(errors).toEqual([]);
});

test('signing in works with JavaScript turned off', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Sign in as Bob Brown' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('heading', { name: 'Welcome, Bob' })).toBeVisible();
  await context.close();
});

test('the layout follows the system colour scheme', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await signInAs(page, 'Dave Diaz');
  const dark = await page.locator('main#main').evaluate((el) => getComputedStyle(el.parentElement!).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  const light = await page.locator('main#main').evaluate((el) => getComputedStyle(el.parentElement!).backgroundColor);
  expect(dark).not.toEqual(light);
});

test('on a phone the navigation stays reachable', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await signInAs(page, 'Erin Evans');
  await expect(page.getByRole('navigation', { name: 'Main' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
  expect(overflow).toBe(false);
  await context.close();
});
