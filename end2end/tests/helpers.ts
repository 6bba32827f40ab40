import { type APIRequestContext, expect, type Page } from '@playwright/test';

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

/** Live updates flow: the page's signals socket is open and subscribed (<body data-live>). */
export async function live(page: Page) {
  await expect(page.locator('body[data-live="true"]')).toHaveCount(1);
}

/** Signs in through the guest sign-in page, as a person would. */
export async function signInAs(page: Page, displayName: string) {
  await page.goto('/sign-in');
  await hydrated(page);
  await page.getByRole('button', { name: `Sign in as ${displayName}` }).click();
  await expect(page).toHaveURL(/\/$/);
}

const SERVICE_TOKEN = process.env.HERALD_E2E_SERVICE_TOKEN ?? '';

export interface Payload {
  title: string;
  description?: string;
  link?: string;
  severity?: 'critical' | 'high' | 'normal' | 'low';
  topic?: string;
  scope?: string;
}

/** Sends a notification as a service would; returns the created notifications. */
export async function send(request: APIRequestContext, to: string | string[], payload: Payload) {
  const response = await request.post('/api/notifications/notifications', {
    headers: { Authorization: `Bearer ${SERVICE_TOKEN}` },
    data: { recipients: { type: 'entity', entityRef: to }, payload },
  });
  expect(response.status()).toBe(200);
  return (await response.json()) as Array<{ id: string }>;
}

/** The REST API as the signed-in page's user (the session cookie rides along). */
export async function status(page: Page) {
  const response = await page.request.get('/api/notifications/status');
  expect(response.status()).toBe(200);
  return (await response.json()) as { unread: number; read: number; saved: number };
}

/** The notification rows of the table. */
export function rows(page: Page) {
  return page.getByTestId('notification-row');
}
