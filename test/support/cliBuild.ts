import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../../src/paths.js';
import { bundle } from './bundle.js';

/** The CLI compiled from the current sources, for tests that spawn it. */
export interface CliBuild {
  /** `node <entry> ARGS` is `node bin/shipcheck.js ARGS` without the per-process tsx start-up. */
  readonly entry: string;
  remove(): Promise<void>;
}

/**
 * Bundles the CLI (bundle.ts) into a temp copy of the package layout: `bundle/` holds the
 * entry and its chunks, `src/` the other source files (`.sql`, assets), `db/`, `checklists/`,
 * `docs/` and `node_modules/` are linked, and `bin/shipcheck.js` runs it without tsx. Each
 * module's `import.meta.url` is where its compiled file would be in that copy, so `.sql`
 * files and the package root are found as from the sources. Built at every suite start
 * (about a second), so spawned CLIs always run the current sources.
 */
export async function buildCli(): Promise<CliBuild> {
  const root = await mkdtemp(join(tmpdir(), 'shipcheck-cli-'));
  try {
    const sourceDir = join(packageRoot, 'src');
    const files = (await readdir(sourceDir, { recursive: true, withFileTypes: true })).filter((entry) =>
      entry.isFile(),
    );
    const path = (entry: { parentPath: string; name: string }) => join(entry.parentPath, entry.name);
    const main = await bundle(join(sourceDir, 'cli', 'main.ts'), {
      outdir: join(root, 'bundle'),
      // Dynamic imports stay chunks of their own: `demo` or `shield serve` alone load fastify and autocannon.
      splitting: true,
      urlOf: (source) => pathToFileURL(join(root, 'src', source.slice(sourceDir.length)).replace(/\.ts$/, '.js')).href,
    });
    for (const entry of files.filter((entry) => !entry.name.endsWith('.ts'))) {
      await cp(path(entry), join(root, 'src', path(entry).slice(sourceDir.length)));
    }
    for (const linked of ['db', 'checklists', 'docs', 'node_modules', 'package.json']) {
      await symlink(join(packageRoot, linked), join(root, linked));
    }
    await mkdir(join(root, 'bin'));
    const entry = join(root, 'bin', 'shipcheck.js');
    await writeFile(
      entry,
      "#!/usr/bin/env node\n// bin/shipcheck.js of the test suite's build: one bundle, no tsx.\n" +
        `const { main } = await import('../bundle/${basename(main)}');` +
        '\nprocess.exitCode = await main(process.argv);\n',
      { mode: 0o755 },
    );
    return { entry, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
