import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { hydrated, send, signInAs } from './helpers';

/** axe-core over a page, in light and dark, failing on serious and critical violations. */
async function expectAccessible(page: import('@playwright/test').Page, path: string) {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.goto(path);
    await hydrated(page);
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `${path} in ${colorScheme}`).toEqual([]);
  }
}

test('the sign-in page passes axe', async ({ page }) => {
  await expectAccessible(page, '/sign-in');
});

test('the notifications pages pass axe', async ({ page, request }) => {
  const me = 'user:default/tester-11';
  await send(request, me, { title: 'Accessible build failure', severity: 'critical', topic: 'builds', link: 'https://ci.example.com/1',
    description: 'A long description that goes on for a while so that the show more button appears under the title of this row.' });
  await send(request, me, { title: 'Accessible low one', severity: 'low', topic: 'docs' });
  await signInAs(page, 'Tester 11');
  for (const path of ['/', '/notifications?view=all', '/notifications/settings']) {
    await expectAccessible(page, path);
  }
});
