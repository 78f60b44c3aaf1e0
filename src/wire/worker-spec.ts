/** @module wire/worker-spec: the entry module of a worker thread, built or, under the tests, from TypeScript sources. */

/**
 * Where a worker's module is, beside the module `here` (its `import.meta.url`): `<name>.js` in the build; when
 * `here` is a .ts file (vitest runs the sources) `<name>.ts`, with a module hook that transpiles it.
 *
 * @example
 * const { url, execArgv } = workerSpec(import.meta.url, './worker')
 * new Worker(url, { execArgv })
 */
export function workerSpec(here: string, name: string): { url: URL; execArgv: string[] | undefined } {
  if (here.endsWith('.ts')) {
    const hooks = new URL('./ts-worker-hooks.mjs', import.meta.url).href
    const register = `import{register}from"node:module";register(${JSON.stringify(hooks)})`
    return { url: new URL(`${name}.ts`, here), execArgv: ['--import', `data:text/javascript,${encodeURIComponent(register)}`] }
  }
  return { url: new URL(`${name}.js`, here), execArgv: undefined }
}
