// Screenshots for the README (docs/*.png): the notifications page, the sidebar item with a
// toast, and the settings, in light and dark. Expects a running server with an empty database:
// HERALD_BENCH_URL, HERALD_BENCH_SERVICE_TOKEN.
import { chromium } from 'playwright-core';

const base = process.env.HERALD_BENCH_URL;
const token = process.env.HERALD_BENCH_SERVICE_TOKEN;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const api = await browser.newPage({ baseURL: base });
const send = (recipients, payload) =>
  api.request.post('/api/notifications/notifications', { headers: { Authorization: `Bearer ${token}` }, data: { recipients, payload } });
const alice = { type: 'entity', entityRef: 'user:default/alice' };
const teamA = { type: 'entity', entityRef: 'group:default/team-a' };
await send({ type: 'broadcast' }, { title: 'Portal maintenance on Saturday, 10:00–11:00 UTC', topic: 'maintenance', severity: 'normal' });
await send(teamA, { title: 'Deploy of portal to production finished', topic: 'deploys', severity: 'low', link: 'https://cd.example.com/portal/912' });
await send(teamA, { title: 'Security advisory: update the TLS library of portal', topic: 'security', severity: 'high',
  description: 'A vulnerability in the TLS library used by portal allows a remote attacker to cause excessive memory use. Upgrade to 3.2.1 or later; the pull request is ready for review.' });
await send(alice, { title: 'Your access request to the billing dashboard was approved', topic: 'access', severity: 'normal', link: '/catalog' });
await send(teamA, { title: 'Build #4821 of portal failed on main', topic: 'builds', severity: 'critical', link: 'https://ci.example.com/portal/4821',
  description: 'The integration tests timed out after 20 minutes in the payments suite.' });

for (const colorScheme of ['light', 'dark']) {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 800 }, colorScheme });
  const page = await context.newPage();
  await page.request.post('/api/auth/guest/sign-in', { data: { user: 'user:default/alice' } });
  await page.goto('/notifications?view=all&size=10');
  await page.waitForSelector('body[data-hydrated]');
  await page.waitForTimeout(800);
  await page.screenshot({ path: `docs/notifications-${colorScheme}.png` });
  await send(alice, { title: 'Review requested: portal#388 "Faster search"', topic: 'reviews', severity: 'normal', link: 'https://git.example.com/portal/388' });
  await page.getByTestId('toast').first().waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `docs/sidebar-${colorScheme}.png` });
  await page.goto('/notifications/settings');
  await page.waitForSelector('body[data-hydrated]');
  await page.getByRole('button', { name: /^Topics of/ }).first().click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: `docs/settings-${colorScheme}.png` });
  await context.close();
}
await browser.close();
console.log('screenshots written to docs/');
