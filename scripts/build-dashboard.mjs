// Builds the dashboard (dashboard/src, React) into dist/dashboard: index.html and assets/ whose names carry a hash
// of their content (served as immutable by src/api/dashboard.ts). Everything the page needs is in these files: no
// CDN, no external font. Run by `npm run build` (so at install time, through `prepare`).
import { build } from 'esbuild'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

const root = join(import.meta.dirname, '..')
const out = join(root, 'dist', 'dashboard')
const t0 = performance.now()
rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
const result = await build({
  entryPoints: [join(root, 'dashboard', 'src', 'main.tsx')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // Safari from 16.4: constructable stylesheets, which CodeMirror styles itself with under the page's CSP
  target: ['es2022', 'chrome110', 'firefox110', 'safari16.4'],
  jsx: 'automatic',
  minify: true,
  sourcemap: true,
  outdir: join(out, 'assets'),
  splitting: true,
  entryNames: '[name]-[hash]',
  chunkNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { 'process.env.NODE_ENV': '"production"' },
  metafile: true,
  logLevel: 'warning',
})
const outputs = Object.keys(result.metafile.outputs).map((f) => basename(f))
const script = Object.entries(result.metafile.outputs).find(([, o]) => o.entryPoint)?.[0].split('/').pop()
const style = outputs.find((f) => f.endsWith('.css'))
if (!script) throw new Error('build-dashboard: esbuild wrote no script')
const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>chaoscope</title>
<link rel="icon" href="data:,">
${style ? `<link rel="stylesheet" href="assets/${style}">\n` : ''}<script type="module" src="assets/${script}"></script>
</head>
<body>
<div id="root"></div>
<noscript>The chaoscope dashboard needs JavaScript; the CLI (chaoscope get, describe, events) shows the same.</noscript>
</body>
</html>
`
writeFileSync(join(out, 'index.html'), html)
const kib = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0) / 1024
console.log(`dashboard: dist/dashboard (${outputs.filter((f) => !f.endsWith('.map')).join(', ')}; ${Math.round(kib)} KiB with maps) in ${Math.round(performance.now() - t0)} ms`)
