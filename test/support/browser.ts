import { existsSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';

/**
 * Debian's Chromium for the browser tests (playwright-core drives it; nothing
 * is downloaded). PORTICO_TEST_CHROMIUM overrides the path. When it is missing
 * the browser suites are skipped with a visible reason, unless
 * PORTICO_REQUIRE_BROWSER=1 (as in CI), where that is a failure.
 */
export function chromiumPath(): string | null {
  const path = process.env.PORTICO_TEST_CHROMIUM ?? '/usr/bin/chromium';
  if (existsSync(path)) return path;
  if (process.env.PORTICO_REQUIRE_BROWSER === '1') throw new Error(`Chromium is required (PORTICO_REQUIRE_BROWSER=1) but ${path} does not exist`);
  return null;
}

/** `describe` options: skip with the reason when there is no browser. */
export function browserSuiteOptions(): { skip: string | false } {
  return { skip: chromiumPath() === null ? 'Chromium is not installed (apt-get install chromium; CI installs it and requires it)' : false };
}

/** Flags for a quiet headless Chromium in CI (no sandbox in containers, no background traffic). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A page in a fresh browser context (its own cookies) with `timeoutMs` for every step; the context joins `contexts` for closing. */
export async function freshPage(browser: Browser, contexts: BrowserContext[], timeoutMs: number): Promise<Page> {
  const context = await browser.newContext();
  context.setDefaultTimeout(timeoutMs);
  context.setDefaultNavigationTimeout(timeoutMs);
  contexts.push(context);
  return context.newPage();
}
