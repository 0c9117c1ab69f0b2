import { describe, expect, it } from 'vitest';
import * as shipcheck from '../../../src/index.js';

describe('the library entry (package exports → src/index.ts)', () => {
  it('exports what docs/runs.md promises, as functions and classes', () => {
    for (const name of [
      'loadChecklist',
      'parseChecklist',
      'createRegistry',
      'planRun',
      'runChecklist',
      'rollbackRun',
      'checkDeployed',
      'listRuns',
      'loadRun',
      'foldEvents',
      'buildRunReport',
      'renderMarkdownReport',
      'migrate',
      'revert',
      'verify',
      'migrationStatus',
      'lintSql',
      'lintFiles',
      'inTransaction',
      'withSavepoint',
    ] as const) {
      // biome-ignore lint/performance/noDynamicNamespaceImportAccess: the test is about the namespace's members
      expect(typeof shipcheck[name], name).toBe('function');
    }
    expect(shipcheck.defaultRegistry.has('migrate')).toBe(true);
    expect(new shipcheck.UsageError('x').exitCode).toBe(2);
  });

  it('package.json points its exports at the entry', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8'));
    expect(pkg.exports['.'].default).toBe('./src/index.ts');
  });
});
