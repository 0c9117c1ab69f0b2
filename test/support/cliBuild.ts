import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { packageRoot } from '../../src/paths.js';

/** The CLI compiled from the current sources, for tests that spawn it. */
export interface CliBuild {
  /** `node <entry> ARGS` is `node bin/shipcheck.js ARGS` without the per-process tsx start-up. */
  readonly entry: string;
  remove(): Promise<void>;
}

/**
 * Compiles `src/` file by file (no bundle: each module keeps its own `import.meta.url`,
 * by which `.sql` files and the package root are found) into a temp copy of the package
 * layout: `src/` as JavaScript with its other files copied, `db/`, `checklists/`, `docs/`
 * and `node_modules/` linked, and a `bin/shipcheck.js` without tsx. Built at every suite
 * start (about a second), so spawned CLIs always run the current sources.
 */
export async function buildCli(): Promise<CliBuild> {
  const root = await mkdtemp(join(tmpdir(), 'shipcheck-cli-'));
  try {
    const sourceDir = join(packageRoot, 'src');
    const files = (await readdir(sourceDir, { recursive: true, withFileTypes: true })).filter((entry) =>
      entry.isFile(),
    );
    const path = (entry: { parentPath: string; name: string }) => join(entry.parentPath, entry.name);
    await build({
      entryPoints: files.filter((entry) => entry.name.endsWith('.ts')).map(path),
      outdir: join(root, 'src'),
      outbase: sourceDir,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      logLevel: 'warning',
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
      "#!/usr/bin/env node\n// bin/shipcheck.js of the test suite's build: the sources here are JavaScript already.\n" +
        "process.setSourceMapsEnabled(true);\nconst { main } = await import('../src/cli/main.js');\nprocess.exitCode = await main(process.argv);\n",
      { mode: 0o755 },
    );
    return { entry, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}
