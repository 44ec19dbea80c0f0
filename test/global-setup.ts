import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  buildDashboardIfChanged();
}

/**
 * The dashboard tests load the built web assets (dist/web). The build is skipped when nothing under web/
 * (nor the lock file, which pins preact and uPlot) is newer than the last one.
 */
function buildDashboardIfChanged(): void {
  const built = 'dist/web/index.html';
  if (existsSync(built) && Math.max(newestMtimeMs('web'), statSync('package-lock.json').mtimeMs) <= statSync(built).mtimeMs) return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'web/tsconfig.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
}

function newestMtimeMs(dir: string): number {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}
