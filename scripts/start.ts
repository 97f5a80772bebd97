/**
 * `npm start`: builds and launches the desktop app where an Electron binary exists. Where it does not
 * (offline machines: the binary comes from GitHub), says so and points to `npm run serve`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The Electron executable, or null. Reads electron's path.txt without triggering its lazy download. */
export function findElectronBinary(): string | null {
  if (process.env['ELECTRON_EXEC_PATH'] && existsSync(process.env['ELECTRON_EXEC_PATH'])) return process.env['ELECTRON_EXEC_PATH'];
  try {
    const pkgDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathTxt = path.join(pkgDir, 'path.txt');
    if (!existsSync(pathTxt)) return null;
    const bin = path.join(pkgDir, 'dist', readFileSync(pathTxt, 'utf8').trim());
    return existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function main(): number {
  const electron = findElectronBinary();
  if (!electron) {
    process.stderr.write([
      'No Electron binary on this machine, so the desktop app cannot start here.',
      '(The electron package downloads it from GitHub on first use; this machine cannot reach GitHub.',
      ' On a networked machine run `npx install-electron`, or set ELECTRON_EXEC_PATH.)',
      '',
      'Run the same engine and UI in a browser instead:',
      '  npm run build      # once, builds out/renderer',
      '  npm run serve -- --config tenant-mirror.json',
      'and open the printed http://127.0.0.1:…/?token=… address.',
      '',
    ].join('\n'));
    return 1;
  }
  const build = spawnSync(process.execPath, [path.join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build', '-c', 'electron.config.ts'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) return build.status ?? 1;
  const child = spawn(electron, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
  return -1;
}

if (import.meta.main) {
  const code = main();
  if (code >= 0) process.exit(code);
}
