import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { openStore } from '../../server/store/open-store.js';
import { dashboardStoreSuite } from './dashboard-store-suite.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'shakenstack-dash-store-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('dashboard store queries (embedded)', () => {
  dashboardStoreSuite(() => openStore({ engine: 'embedded', dataDir }));
});
