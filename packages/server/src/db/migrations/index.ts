// The ordered list of migrations, shared by SQLite and PostgreSQL. Add new ones at the end.
import type { Migration } from 'kysely';
import * as core from './001-core.js';

export const migrations: Record<string, Migration> = {
  '001-core': core,
};
