import { afterAll, beforeAll, describe } from 'vitest';
import { openStore } from '../../server/store/open-store.js';
import { createTempDatabase } from '../helpers/postgres.js';
import { dashboardStoreSuite } from './dashboard-store-suite.js';

let url: string;
let drop: () => Promise<void>;
beforeAll(async () => {
  ({ url, drop } = await createTempDatabase());
});
afterAll(() => drop());

describe('dashboard store queries (postgres)', () => {
  dashboardStoreSuite(() => openStore({ engine: 'postgres', url, poolSize: 4 }));
});
