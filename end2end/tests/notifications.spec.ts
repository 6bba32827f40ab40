import { expect, test } from '@playwright/test';
import { hydrated, live, rows, send, signInAs, status, trackErrors } from './helpers';

// Each test is one person from end2end/catalog.yaml, so parallel tests never share a list.

test('the page filters, searches and pages, and keeps it all in the URL', async ({ page, request }) => {
  const errors = trackErrors(page);
  const me = 'user:default/tester-01';
  await send(request, me, { title: 'Deploy of checkout finished', severity: 'low', topic: 'deploys' });
  await send(request, me, { title: 'Build of billing failed', severity: 'critical', topic: 'builds' });
  await send(request, me, { title: 'Build of search failed', severity: 'high', topic: 'builds' });
  await signInAs(page, 'Tester 01');

  await page.goto('/notifications');
  await hydrated(page);
  await expect(page.getByTestId('table-title')).toHaveText('Unread notifications (3)');
  await expect(rows(page)).toHaveCount(3);
  await expect(rows(page).first()).toContainText('Build of search failed');

  await page.getByLabel('Topic').selectOption('builds');
  await expect(page).toHaveURL(/topic=builds/);
  await expect(rows(page)).toHaveCount(2);

  await page.getByLabel('Min severity').selectOption('critical');
  await expect(page).toHaveURL(/severity=critical/);
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Build of billing failed');

  await page.goBack();
  await expect(page).not.toHaveURL(/severity=/);
  await expect(rows(page)).toHaveCount(2);

  await page.goto('/notifications');
  await hydrated(page);
  await page.getByLabel('Search notifications').fill('checkout');
  await expect(page).toHaveURL(/search=checkout/);
  await expect(rows(page)).toHaveCount(1);

  await page.goto('/notifications?size=5&sort=oldest');
  await hydrated(page);
  await expect(page.getByLabel('Sort by')).toHaveValue('oldest');
  await expect(rows(page).first()).toContainText('Deploy of checkout finished');
  expect(errors).toEqual([]);
});

test('the page is complete and usable with JavaScript off', async ({ browser, request }) => {
  const me = 'user:default/tester-02';
  await send(request, me, { title: 'First for no-JS', topic: 'alpha' });
  await send(request, me, { title: 'Second for no-JS', topic: 'beta' });
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/sign-in');
  await page.getByRole('button', { name: 'Sign in as Tester 02' }).click();
  await page.goto('/notifications');
  await expect(page.getByTestId('table-title')).toHaveText('Unread notifications (2)');
  await expect(page.getByTestId('notification-row')).toHaveCount(2);

  // Filters are a plain GET form.
  await page.getByLabel('Topic').selectOption('alpha');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await expect(page).toHaveURL(/topic=alpha/);
  await expect(page.getByTestId('notification-row')).toHaveCount(1);

  // Row actions are plain forms.
  await page.getByTestId('notification-row').first().getByRole('button', { name: 'Mark as read' }).click();
  await expect(page).toHaveURL(/topic=alpha/);
  await expect(page.getByTestId('empty')).toHaveText('No records to display');
  await page.goto('/notifications?view=read');
  await expect(page.getByTestId('notification-row')).toHaveCount(1);
  await context.close();
});

test('a notification sent through the API appears live, with the count', async ({ page, request }) => {
  const errors = trackErrors(page);
  await signInAs(page, 'Tester 03');
  await page.goto('/notifications');
  await hydrated(page);
  await expect(page.getByTestId('empty')).toBeVisible();
  await expect(page.getByTestId('unread-badge')).toHaveCount(0);

  await send(request, 'user:default/tester-03', { title: 'Live one', severity: 'high' });
  await expect(rows(page)).toHaveCount(1);
  await expect(rows(page).first()).toContainText('Live one');
  await expect(page.getByTestId('unread-badge')).toHaveText('1');
  await expect(page.getByTestId('table-title')).toHaveText('Unread notification (1)');

  // Reading it elsewhere (the API, another tab) updates this page too.
  const [{ id }] = await send(request, 'user:default/tester-03', { title: 'Live two' });
  await expect(page.getByTestId('unread-badge')).toHaveText('2');
  const response = await page.request.post('/api/notifications/notifications/update', { data: { ids: [id], read: true } });
  expect(response.status()).toBe(200);
  await expect(page.getByTestId('unread-badge')).toHaveText('1');
  await expect(rows(page)).toHaveCount(1);
  expect(errors).toEqual([]);
});

test('a new notification shows a toast and counts in the title', async ({ page, request }) => {
  await signInAs(page, 'Tester 04');
  await expect(page).toHaveTitle('Home · Herald');
  // A toast is for what arrives while the page listens.
  await live(page);
  await send(request, 'user:default/tester-04', { title: 'Toast me', severity: 'critical', link: '/catalog' });
  const toast = page.getByTestId('toast');
  await expect(toast).toContainText('Toast me');
  await expect(toast.getByRole('link', { name: 'Open' })).toHaveAttribute('href', '/catalog');
  await expect(page).toHaveTitle('(1) Home · Herald');

  await toast.getByRole('button', { name: 'Mark as read' }).click();
  await expect(toast).toHaveCount(0);
  await expect(page).toHaveTitle('Home · Herald');
  expect((await status(page)).unread).toBe(0);
});

test('a browser notification is shown when the user allowed them', async ({ browser, request }) => {
  const context = await browser.newContext();
  await context.grantPermissions(['notifications']);
  // Record what the page asks the browser to show.
  await context.addInitScript(() => {
    const shown: Array<{ title: string; tag?: string; body?: string }> = [];
    (window as unknown as { shown: typeof shown }).shown = shown;
    const Original = window.Notification;
    class Recording extends Original {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, tag: options?.tag, body: options?.body });
      }
    }
    Object.defineProperty(Recording, 'permission', { get: () => Original.permission });
    window.Notification = Recording as unknown as typeof Notification;
  });
  const page = await context.newPage();
  await signInAs(page, 'Tester 05');
  await page.goto('/notifications/settings');
  await hydrated(page);
  const toggle = page.getByRole('switch', { name: 'Desktop notifications in this browser' });
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-checked', 'true');
  await page.goto('/');
  await hydrated(page);
  await live(page);

  const [{ id }] = await send(request, 'user:default/tester-05', { title: 'On the desktop', description: 'Body text' });
  await expect.poll(() => page.evaluate(() => (window as unknown as { shown: unknown[] }).shown)).toEqual([
    { title: 'On the desktop', tag: id, body: 'Body text' },
  ]);
  await context.close();
});

test('bulk actions change the selection and mark-all-read asks first', async ({ page, request }) => {
  const me = 'user:default/tester-06';
  for (const title of ['One', 'Two', 'Three', 'Four']) {
    await send(request, me, { title });
  }
  await signInAs(page, 'Tester 06');
  await page.goto('/notifications?size=10');
  await hydrated(page);
  await expect(rows(page)).toHaveCount(4);

  await rows(page).nth(0).getByRole('checkbox').check();
  await rows(page).nth(1).getByRole('checkbox').check();
  const selectAll = page.getByRole('checkbox', { name: /Select all/ });
  await expect(selectAll).toHaveAttribute('aria-checked', 'mixed');
  await page.getByRole('button', { name: 'Save selected for later' }).click();
  await expect.poll(async () => (await status(page)).saved).toBe(2);
  await page.getByRole('button', { name: 'Mark selected as read' }).click();
  await expect(rows(page)).toHaveCount(2);

  await page.getByRole('button', { name: 'Mark all read' }).click();
  const dialog = page.getByRole('dialog', { name: 'Are you sure?' });
  await expect(dialog).toContainText('Mark all notifications as read.');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(rows(page)).toHaveCount(2);
  await page.getByRole('button', { name: 'Mark all read' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Mark All' }).click();
  await expect(page.getByTestId('empty')).toBeVisible();
  expect(await status(page)).toEqual({ unread: 0, read: 4, saved: 2 });
  await expect(page.getByRole('button', { name: 'Mark all read' })).toHaveCount(0);
});

test('a deep link finds, highlights and focuses one notification', async ({ page, request }) => {
  const me = 'user:default/tester-07';
  const [{ id }] = await send(request, me, { title: 'The one I want' });
  for (let i = 0; i < 6; i++) {
    await send(request, me, { title: `Later ${i}` });
  }
  await signInAs(page, 'Tester 07');
  // It is not on the first page (page size 5): it is added on top, highlighted and focused.
  await page.goto(`/notifications?id=${id}`);
  await hydrated(page);
  const row = page.locator(`#notification-${id}`);
  await expect(row).toBeVisible();
  await expect(row).toHaveClass(/ring-amber-400/);
  await expect(row).toBeFocused();
});

test('settings switches are saved at once and survive a reload', async ({ page, request }) => {
  const me = 'user:default/tester-08';
  await send(request, me, { title: 'From CI', topic: 'builds' });
  await signInAs(page, 'Tester 08');
  await page.goto('/notifications/settings');
  await hydrated(page);
  const origin = page.getByRole('switch', { name: /^Web notifications from External e2e$/ });
  await expect(origin).toHaveAttribute('aria-checked', 'true');
  await page.getByRole('button', { name: 'Topics of External e2e' }).click();
  const topic = page.getByRole('switch', { name: 'Web notifications from External e2e about Builds' });
  await topic.click();
  await expect(topic).toHaveAttribute('aria-checked', 'false');
  await expect(origin).toHaveAttribute('aria-checked', 'true');

  await page.reload();
  await hydrated(page);
  await page.getByRole('button', { name: 'Topics of External e2e' }).click();
  await expect(page.getByRole('switch', { name: 'Web notifications from External e2e about Builds' })).toHaveAttribute('aria-checked', 'false');
  const settings = await (await page.request.get('/api/notifications/settings')).json();
  const web = settings.channels.find((c: { id: string }) => c.id === 'Web');
  const e2e = web.origins.find((o: { id: string }) => o.id === 'external:e2e');
  expect(e2e).toEqual({ id: 'external:e2e', enabled: true, topics: [{ id: 'builds', enabled: false }] });
  // And it takes effect: that topic no longer arrives.
  expect(await send(request, me, { title: 'Muted', topic: 'builds' })).toEqual([]);
});

test('keyboard triage moves, selects, reads and saves', async ({ page, request }) => {
  const me = 'user:default/tester-09';
  for (const title of ['Third', 'Second', 'First']) {
    await send(request, me, { title });
  }
  await signInAs(page, 'Tester 09');
  await page.goto('/notifications?view=all');
  await hydrated(page);
  await expect(rows(page)).toHaveCount(3);
  await page.locator('body').click({ position: { x: 5, y: 400 } });

  await page.keyboard.press('j');
  await expect(rows(page).nth(0)).toBeFocused();
  await page.keyboard.press('j');
  await expect(rows(page).nth(1)).toBeFocused();
  await page.keyboard.press('k');
  await expect(rows(page).nth(0)).toBeFocused();

  await page.keyboard.press('x');
  await expect(rows(page).nth(0).getByRole('checkbox')).toBeChecked();
  await page.keyboard.press('r');
  await expect(rows(page).nth(0)).toHaveAttribute('data-read', 'true');
  await page.keyboard.press('s');
  await expect(rows(page).nth(0)).toHaveAttribute('data-saved', 'true');
  expect(await status(page)).toEqual({ unread: 2, read: 1, saved: 1 });

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
});

test('the unread card on the home page lists the latest and catches up', async ({ page, request }) => {
  await signInAs(page, 'Tester 10');
  await expect(page.getByTestId('caught-up')).toHaveText('All caught up!');
  await send(request, 'user:default/tester-10', { title: 'Card item', description: '**Bold** and <i>markup</i>' });
  const card = page.getByTestId('unread-card');
  await expect(card).toContainText('Card item');
  await expect(card).toContainText('Bold and markup');
  await card.getByRole('button', { name: 'Mark as read' }).click();
  await expect(page.getByTestId('caught-up')).toBeVisible();
});
