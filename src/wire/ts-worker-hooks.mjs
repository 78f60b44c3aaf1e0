/** @module wire/ts-worker-hooks: lets a worker thread run from TypeScript sources (tests, dev). */
// Only used when the module starting the worker was itself loaded from a .ts file (vitest); the built package runs dist/*.js.
// Module hooks for node:module register(): `.js` imports that only exist as `.ts` resolve to the `.ts`
// file, and `.ts` files are transpiled (types stripped) with the project's TypeScript.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

let ts

export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (e) {
    if (specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      return next(specifier.slice(0, -3) + '.ts', context)
    }
    throw e
  }
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context)
  ts ??= (await import('typescript')).default
  const fileName = fileURLToPath(url)
  const out = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      preserveConstEnums: true,
      inlineSourceMap: true,
    },
  })
  return { format: 'module', source: out.outputText, shortCircuit: true }
}
