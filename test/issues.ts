/** @module test/issues: helpers to read a fixture's issues as short, comparable lines. */
import { join } from 'node:path'
import { validatePaths } from '../src/manifest/validate.js'
import type { Issue } from '../src/manifest/issues.js'

export const FIXTURES = join(import.meta.dirname, 'fixtures')

/** `line:col path: message [CODE]` (path left out when empty). */
export function short(i: Issue): string {
  return `${i.line}:${i.col} ${i.path ? `${i.path}: ` : ''}${i.message} [${i.code}]`
}

/** The short lines of every issue found in one fixture under test/fixtures/specs/invalid/. */
export function invalidFixture(name: string): string[] {
  return validatePaths([join(FIXTURES, 'specs/invalid', name)]).issues.map(short)
}
