import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { ConfigError, loadConfig } from '../config.ts';
import { contrast, palette } from '../domain/brand.ts';

it('issue #14: PORTICO_BRAND_* are parsed once: name, logo (https, or http on loopback outside production), colour, support link', () => {
  const c = loadConfig({ PORTICO_BRAND_NAME: ' Acme Notes ', PORTICO_BRAND_LOGO_URL: 'https://cdn.acme.example/logo.svg', PORTICO_BRAND_PRIMARY_COLOR: '#F60', PORTICO_BRAND_SUPPORT_URL: 'mailto:help@acme.example' });
  assert.equal(c.brandName, 'Acme Notes');
  assert.equal(c.brandLogoUrl, 'https://cdn.acme.example/logo.svg');
  assert.equal(c.brandPrimaryColor, '#ff6600');
  assert.equal(c.brandSupportUrl, 'mailto:help@acme.example');
  const d = loadConfig({});
  assert.deepEqual([d.brandName, d.brandLogoUrl, d.brandPrimaryColor, d.brandSupportUrl], ['Portico', null, '#1d4ed8', null]);
  assert.equal(loadConfig({ PORTICO_BRAND_LOGO_URL: 'http://localhost:3000/logo.png' }).brandLogoUrl, 'http://localhost:3000/logo.png');
  for (const [env, reason] of [
    [{ PORTICO_BRAND_NAME: 'a\nb' }, /PORTICO_BRAND_NAME/],
    [{ PORTICO_BRAND_NAME: 'x'.repeat(61) }, /at most 60/],
    [{ PORTICO_BRAND_LOGO_URL: 'http://cdn.acme.example/logo.svg' }, /PORTICO_BRAND_LOGO_URL must be an https URL/],
    [{ PORTICO_BRAND_LOGO_URL: 'javascript:alert(1)' }, /PORTICO_BRAND_LOGO_URL/],
    [{ PORTICO_BRAND_LOGO_URL: 'https://user:pw@cdn.acme.example/l.svg' }, /credentials/],
    [{ PORTICO_BRAND_PRIMARY_COLOR: 'red' }, /hex colour/],
    [{ PORTICO_BRAND_PRIMARY_COLOR: '#12345' }, /hex colour/],
    [{ PORTICO_BRAND_SUPPORT_URL: 'ftp://acme.example' }, /PORTICO_BRAND_SUPPORT_URL/],
  ] as const) {
    assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && reason.test(e.message), JSON.stringify(env));
  }
});

it('issue #14: PORTICO_SCOPE_DESCRIPTIONS is a JSON object inline or in a file; anything else stops the start with a reason', () => {
  const inline = loadConfig({ PORTICO_SCOPE_DESCRIPTIONS: '{"notes:read": " Read your notes ", "constructor": "Build things"}' }).scopeDescriptions;
  assert.equal(inline.get('notes:read'), 'Read your notes');
  assert.equal(inline.get('constructor'), 'Build things', 'a Map: scope names that are Object.prototype keys are plain keys');
  assert.equal(inline.get('toString'), undefined);
  const dir = mkdtempSync(join(tmpdir(), 'portico-scopes-'));
  try {
    const file = join(dir, 'scopes.json');
    writeFileSync(file, JSON.stringify({ 'notes:write': 'Create and change your notes' }));
    assert.equal(loadConfig({ PORTICO_SCOPE_DESCRIPTIONS: file }).scopeDescriptions.get('notes:write'), 'Create and change your notes');
    for (const [raw, reason] of [
      [join(dir, 'missing.json'), /neither a JSON object nor a readable file \(ENOENT/],
      ['{"notes:read": ', /not valid JSON/],
      ['{"notes read": "x"}', /not a scope token/],
      ['{"notes:read": ""}', /single line of 1-200 characters/],
      ['{"notes:read": "a\\nb"}', /single line/],
      ['{"notes:read": 5}', /single line/],
    ] as const) {
      assert.throws(() => loadConfig({ PORTICO_SCOPE_DESCRIPTIONS: raw }), (e: unknown) => e instanceof ConfigError && reason.test(e.message), raw);
    }
    writeFileSync(file, '["notes:read"]');
    assert.throws(() => loadConfig({ PORTICO_SCOPE_DESCRIPTIONS: file }), /must be a JSON object/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('issue #14: any brand colour gives AA contrast: button text picked for it, links darkened until they read on the page background', () => {
  for (const colour of ['#1d4ed8', '#f59e0b', '#ffff00', '#ffffff', '#000000', '#0f766e', '#e11d48', '#a3e635']) {
    const p = palette(colour);
    const other = p.onPrimary === '#ffffff' ? '#111827' : '#ffffff';
    assert.ok(contrast(p.primary, p.onPrimary) >= contrast(p.primary, other), `${colour}: the button text that reads better`);
    assert.ok(contrast(p.accent, '#f3f4f6') >= 4.5, `${colour}: accent ${p.accent} on the page background`);
    assert.ok(contrast(p.accent, '#ffffff') >= 4.5, `${colour}: accent ${p.accent} on cards`);
  }
  assert.equal(palette('#f59e0b').onPrimary, '#111827', 'amber buttons get dark text');
  assert.equal(palette('#1d4ed8').onPrimary, '#ffffff');
  assert.equal(palette('#1d4ed8').accent, '#1d4ed8', 'a colour that already reads is kept as it is');
});
