import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLoginItemAutoStart, createXdgAutoStart } from '../../main/app/auto-start.ts';
import type { LoginItemApp } from '../../main/app/auto-start.ts';

test('Windows/macOS: setLoginItemSettings with --hidden, read back with the same path and args', async () => {
  const seen: unknown[] = [];
  let on = false;
  const app: LoginItemApp = {
    setLoginItemSettings: (s) => { seen.push(s); on = s.openAtLogin; },
    getLoginItemSettings: (o) => ({ openAtLogin: on && o?.args?.[0] === '--hidden' && o.path === 'C:\\TM\\tm.exe' }),
  };
  const a = createLoginItemAutoStart(app, 'C:\\TM\\tm.exe');
  assert.equal(await a.set(true), true);
  assert.deepEqual(seen, [{ openAtLogin: true, path: 'C:\\TM\\tm.exe', args: ['--hidden'] }]);
  assert.equal(await a.get(), true);
  assert.equal(await a.set(false), false);
});

test('Linux: an XDG autostart entry is written and removed', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tm-xdg-'));
  try {
    const a = createXdgAutoStart(dir, '/opt/Tenant Mirror/tenant-mirror');
    assert.equal(await a.get(), false);
    await a.set(true);
    const file = path.join(dir, 'autostart', 'tenant-mirror.desktop');
    assert.match(readFileSync(file, 'utf8'), /^Exec="\/opt\/Tenant Mirror\/tenant-mirror" --hidden$/m);
    assert.equal(await a.get(), true);
    await a.set(false);
    assert.equal(existsSync(file), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
