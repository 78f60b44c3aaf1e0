/**
 * @module api/dashboard: the web dashboard's files, served on the API's listener without a token. The page is
 * public; its data is not: the page sends the token it is given in `Authorization`, as every client does. The
 * API's Host and Origin rules hold for the page too (src/http-security.ts), so a page of another site cannot
 * load it into a frame or read it, and a DNS-rebinding name is refused.
 *
 *   GET /               ─▶ <dir>/index.html       no-cache; the page's own Content-Security-Policy
 *   GET /assets/<file>  ─▶ <dir>/assets/<file>    a plain file name of a known type; immutable when the name
 *                                                 carries esbuild's content hash, else no-cache
 *   not built           ─▶ 503 with the hint `npm run build`
 *
 * `<dir>` is dist/dashboard (the build writes it; {@link dashboardDir}). HEAD is answered wherever GET is (hono).
 */
import { readFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'
import { ChaosError, errorBody } from '../errors.js'

/** What the page may load: its own scripts, styles, images and fonts, and calls to its own origin; nothing may frame it. */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** The types of the assets served; a file of another type is not served. */
export const ASSET_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.map': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
}

/** A file name of assets/: letters, digits, `.`, `_` and `-`, not starting with `.` (no path, no hidden file, no `..`). */
export const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/

/** esbuild's `[hash]` in a name: `-` and 8 capital letters or digits before the extensions (main-5HBKQ2DX.js, main-5HBKQ2DX.js.map). */
const HASHED = /-[A-Z0-9]{8}(\.[a-z0-9]+)+$/

export interface DashboardOptions {
  /** The built dashboard: index.html and assets/ (default: {@link dashboardDir}; tests give a directory of their own). */
  dir?: string
}

/**
 * Where the build puts the dashboard, found from this module: dist/dashboard beside dist/src/api/ when running
 * the build, <repo>/dist/dashboard when running the TypeScript sources (src/api/).
 */
export function dashboardDir(): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
  return basename(root) === 'dist' ? join(root, 'dashboard') : join(root, 'dist', 'dashboard')
}

/** Whether a path is the dashboard's (`/`, `/assets/...`): what `chaoscope up`'s listener hands to the controller's app beside /api/. */
export function isDashboardPath(path: string): boolean {
  return path === '/' || path.startsWith('/assets/')
}

/**
 * Registers GET `/` and `/assets/:file` on `app`. Register them after the security and guard middleware and
 * before the token check: they answer without a token.
 *
 * @example
 * app.use('*', security(http)); app.use('*', guard())
 * dashboardRoutes(app, { dir: '/tmp/built-dashboard' })
 * app.use('*', authMiddleware(...))
 */
export function dashboardRoutes(app: Hono, opts: DashboardOptions = {}): void {
  const dir = opts.dir ?? dashboardDir()
  app.get('/', async (c) => {
    const page = join(dir, 'index.html')
    const html = await readIfThere(page)
    if (html === undefined) {
      // a 503 rather than a 404: the address is right, the server lacks the build
      const e = new ChaosError('API_DASHBOARD_NOT_BUILT', `the dashboard is not built: there is no ${page}`, { hint: 'run `npm run build` (it writes dist/dashboard), then reload the page; the API under /api/v1 works without it' })
      return c.json(errorBody(e), 503)
    }
    return c.body(html, 200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache', 'Content-Security-Policy': DASHBOARD_CSP })
  })
  app.get('/assets/:file', async (c) => {
    const name = c.req.param('file')
    const type = ASSET_TYPES[extname(name)]
    const body = type && ASSET_NAME.test(name) ? await readIfThere(join(dir, 'assets', name)) : undefined
    if (!type || body === undefined) {
      throw new ChaosError('API_NOT_FOUND', `the dashboard has no asset ${JSON.stringify(name)}`, { hint: `assets are the files of ${join(dir, 'assets')} of types ${Object.keys(ASSET_TYPES).join(' ')}; reload the page (/) for the names of this build` })
    }
    // a hashed name changes with its content: a browser keeps it for a year; another is asked again each time
    return c.body(body, 200, { 'Content-Type': type, 'Cache-Control': HASHED.test(name) ? 'public, max-age=31536000, immutable' : 'no-cache' })
  })
}

/** The file's bytes, or undefined when there is no such file (or it is a directory). */
async function readIfThere(file: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  try {
    return new Uint8Array(await readFile(file))
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined
    throw e
  }
}
