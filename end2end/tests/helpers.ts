import { expect, type Page } from '@playwright/test';

/** Collects console errors and uncaught exceptions; a test asserts the list stays empty. */
export function trackErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  return errors;
}

/** Clicks before hydration are lost; the app marks <body data-hydrated> when it is live. */
export async function hydrated(page: Page) {
  await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

/** Signs in through the guest sign-in page, as a person would. */
export async function signInAs(page: Page, displayName: string) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: `Sign in as ${displayName}` }).click();
  await expect(page).toHaveURL(/\/$/);
}
