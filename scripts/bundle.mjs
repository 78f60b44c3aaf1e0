// Build step after tsc and the generated validators: two one-file bundles that the CLI loads instead of a hundred
// small modules (loading files is most of what a short command costs; BENCHMARKS.md "CLI start-up"):
// - dist/src/cli/main.bundle.js: the command line (its modules and commander); the library API (src/index.ts)
//   stays a module of its own, imported from the bundle as the CLI's modules import it.
// Both are minified (with source maps; CHAOSCOPE_DEBUG=1 turns them on for stacks): less text to compile.
// - dist/src/manifest/validate.bundle.js: the manifest layer and the YAML parser, which src/index.ts loads for
//   validatePaths and validateText. It sits beside validate.js, so the generated validators it loads
//   (./generated/) resolve alike. Ajv is left out: it is loaded only when a generated validator is missing.
// Where a bundle is absent (running from the TypeScript sources), the modules are loaded as they are.
import { build } from 'esbuild'
import { dirname, join, relative, resolve } from 'node:path'

const dist = join(import.meta.dirname, '..', 'dist', 'src')
// CommonJS inside (commander, yaml) calls require() for Node's built-ins: an ES module needs one made for it
const banner = { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" }
const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', banner, minify: true, sourcemap: true }

/**
 * Keeps some of our modules out of a bundle, imported by their path from where the bundle is: src/index.ts out of
 * the CLI's (the CLI imports it as a module), src/errors.ts out of both (one ChaosError class in the process, so
 * that `instanceof` holds for an error thrown inside a bundle).
 */
const ownModules = (outfile, names) => ({
  name: 'own-modules-external',
  setup(b) {
    b.onResolve({ filter: /\.js$/ }, (args) => {
      const target = resolve(args.resolveDir, args.path)
      if (!names.some((n) => target === join(dist, n))) return undefined
      return { path: `./${relative(dirname(outfile), target)}`, external: true }
    })
  },
})

const t0 = performance.now()
const cli = join(dist, 'cli', 'main.bundle.js')
await build({ ...common, entryPoints: [join(dist, 'cli', 'main.js')], outfile: cli, plugins: [ownModules(cli, ['index.js', 'errors.js'])] })
const manifest = join(dist, 'manifest', 'validate.bundle.js')
await build({ ...common, entryPoints: [join(dist, 'manifest', 'validate.js')], outfile: manifest, external: ['ajv', 'ajv/*', '@sinclair/typebox'], plugins: [ownModules(manifest, ['errors.js'])] })
console.log(`bundle: dist/src/cli/main.bundle.js, dist/src/manifest/validate.bundle.js in ${Math.round(performance.now() - t0)} ms`)
