import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/**
 * Where the browser suites write their screenshots (issue #14; the README
 * names it): `<page>-1280.png` and `<page>-390.png` per page, and `axe.json`
 * with every page's violations. Git-ignored: only docs/dashboard.png, the
 * README's image, is committed.
 */
export const SCREENSHOT_DIR = new URL('../../docs/screenshots/', import.meta.url);

/** axe-core, pinned in package.json (issue #14), read once. */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export type Impact = 'minor' | 'moderate' | 'serious' | 'critical';

/** One page's audit: its screenshots and its axe violations by impact. */
export interface PageAudit {
  readonly page: string;
  readonly url: string;
  readonly screenshots: readonly string[];
  readonly violations: Readonly<Record<Impact, number>>;
  readonly rules: readonly { readonly id: string; readonly impact: Impact; readonly nodes: number }[];
}

/** WCAG 2.0-2.2 A and AA rules, and axe's best practices. */
const AXE_OPTIONS = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] };

interface AxeResult {
  violations: { id: string; impact: Impact | null; help: string; nodes: { target: unknown[]; failureSummary?: string }[] }[];
}

/**
 * Runs axe-core (WCAG 2.0-2.2 A and AA rules, best practices) on the page as
 * it is. The script is evaluated over the DevTools protocol, not added as a
 * `<script>`: the page's CSP, which allows no inline script, stays in force.
 */
export async function axe(page: Page): Promise<AxeResult> {
  await page.evaluate(AXE_SOURCE);
  // A string, run in the page (this project type-checks without the DOM library).
  return page.evaluate<AxeResult>(`axe.run(document, ${JSON.stringify(AXE_OPTIONS)}).then((r) => ({
    violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })),
  }))`);
}

/**
 * Audits the page now open: axe at 1280 px, a screenshot at 1280 and at
 * 390 px (full page), and at 390 px nothing wider than the viewport (no
 * sideways scrolling, issue #14). Fails on serious or critical violations.
 */
export async function auditPage(page: Page, name: string, audits: PageAudit[]): Promise<PageAudit> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const shots: string[] = [];
  await page.setViewportSize({ width: 1280, height: 900 });
  const result = await axe(page);
  shots.push(await shot(page, name, 1280));
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate<number>('document.documentElement.scrollWidth');
  shots.push(await shot(page, name, 390));
  await page.setViewportSize({ width: 1280, height: 900 });
  const violations: Record<Impact, number> = { minor: 0, moderate: 0, serious: 0, critical: 0 };
  for (const v of result.violations) violations[v.impact ?? 'minor'] += 1;
  const audit: PageAudit = { page: name, url: new URL(page.url()).pathname, screenshots: shots, violations, rules: result.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'minor', nodes: v.nodes.length })) };
  audits.push(audit);
  const grave = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(grave.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes.slice(0, 3))}`), [], `axe: serious or critical violations on ${name}`);
  assert.ok(overflow <= 390, `${name} is ${overflow}px wide at 390px`);
  return audit;
}

async function shot(page: Page, name: string, width: number): Promise<string> {
  const file = `${name}-${width}.png`;
  await page.screenshot({ path: new URL(file, SCREENSHOT_DIR).pathname, fullPage: true, animations: 'disabled', caret: 'hide' });
  return `docs/screenshots/${file}`;
}

/** Writes `axe-<suite>.json` beside the screenshots: the closing note of issue #14 quotes it. */
export function writeAudits(suite: string, audits: readonly PageAudit[]): void {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  writeFileSync(new URL(`axe-${suite}.json`, SCREENSHOT_DIR), `${JSON.stringify(audits, null, 2)}\n`);
}

/** Records what the page's CSP refused (a console error each): a page that needs something the CSP blocks is broken. */
export function cspViolations(page: Page, into: string[]): void {
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text())) into.push(`${page.url()}: ${m.text()}`);
  });
}
