/** Workbench moves the e2e tests share: opening files from the Explorer, reading a results view. */
import type { Frame, Page } from 'playwright-core';

/** How many times a file's row is clicked before the test gives up on its tab. */
const OPEN_ATTEMPTS = 3;

/**
 * Opens a file from the Explorer in the first editor group (results views open
 * beside it, and a file opened while one has focus would land there) and waits
 * until its editor tab is the active one.
 */
export async function openEditor(page: Page, names: string[]): Promise<void> {
  const tab = names[names.length - 1] ?? '';
  const active = page.locator('.tabs-container .tab.active', { hasText: tab }).first();
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+1');
    await openFromExplorer(page, names);
    const last = attempt === OPEN_ATTEMPTS;
    try {
      await active.waitFor({ timeout: last ? 30_000 : 10_000 });
      return;
    } catch (error) {
      // A click can be lost while the Explorer redraws its rows (CI saw it just after a file was added); click again.
      if (last) throw error;
    }
  }
}

/** Clicks through Explorer rows by exact name, expanding folders on the way. */
export async function openFromExplorer(page: Page, names: string[]): Promise<void> {
  const explorer = page.locator('.explorer-folders-view');
  await explorer.waitFor({ timeout: 60_000 });
  for (const name of names) {
    const row = explorer.getByRole('treeitem', { name, exact: true });
    await row.waitFor({ timeout: 30_000 });
    const expanded = await row.getAttribute('aria-expanded');
    if (expanded !== 'true') await row.click();
    if (expanded === 'false') {
      await explorer
        .locator(`[role="treeitem"][aria-expanded="true"]`, { hasText: name })
        .first()
        .waitFor({ timeout: 10_000 });
    }
  }
}

/** A results view's document: only `locator` is used, which frames and frame locators both have. */
export type ResultsView = Pick<Frame, 'locator'>;

/**
 * The results view whose heading is `title`. Each panel is its own webview
 * (a frame inside a frame), and hidden panels keep theirs, so the view is
 * found by what it shows rather than by being the only one.
 */
export async function resultsView(page: Page, title: string, timeoutMs = 60_000): Promise<ResultsView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const heading = frame.locator('h3', { hasText: title });
      if ((await heading.count().catch(() => 0)) > 0) return frame;
    }
    if (Date.now() > deadline) throw new Error(`no results view titled '${title}' within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** The grid's rendered rows, as cell texts. */
export async function gridRows(view: ResultsView): Promise<string[][]> {
  const rows = await view.locator('.tabulator-row').all();
  return Promise.all(rows.map((row) => row.locator('.tabulator-cell').allInnerTexts()));
}

/** A grid cell's text back to a number: "$1,234.50" → 1234.5, "1,880" → 1880. */
export function cellNumber(text: string | undefined): number {
  return Number((text ?? '').replace(/[$,\s]/g, ''));
}

/** Clicks a code lens of the active editor (other groups' editors have lenses too). */
export async function clickLens(page: Page, title: string | RegExp): Promise<void> {
  const lens = page.locator('.editor-group-container.active .contentWidgets .codelens-decoration a', {
    hasText: title,
  });
  await lens.first().waitFor({ timeout: 60_000 });
  await lens.first().click();
}

/** Runs a command by its title from the command palette, as a user would. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}
