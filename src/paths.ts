import { fileURLToPath } from 'node:url';

/** The installed package's root, so bundled SQL and checklists are found from any working directory. */
export const packageRoot = fileURLToPath(new URL('../', import.meta.url));
export const migrationsDir = fileURLToPath(new URL('../db/migrations/', import.meta.url));
