/** @module errors-doc: renders docs/errors.md from the ERROR_CODES table (a test keeps the file in sync). */
import { ERROR_CODES } from './errors.js'

const AREAS: Record<string, string> = {
  SPEC: 'Reading and validating files',
  CTK: 'Chaos Toolkit experiments',
  AUTH: 'Tokens and roles',
  POLICY: 'Namespace policy',
  CONFIG: 'Server configuration',
  REPORT: 'Reports',
  KUBE: 'Kubernetes target',
  CLI: 'Command line',
  INTERNAL: 'Bugs',
}

export function renderErrorsDoc(): string {
  const lines = [
    '# Error codes',
    '',
    'Every problem chaoscope reports carries one of these codes, in the CLI (`[CODE]` at the end of the line, or',
    '`code` with `-o json`) and in the API. Validation problems come as `file:line:col  field.path: message  [CODE]`,',
    'with a hint where you can act. Exit codes: 0 ok, 1 failed, 2 usage or validation error.',
    '',
    'This file is generated from `src/errors.ts` by `npm run docs:errors`; a test fails when the two differ.',
  ]
  let area = ''
  for (const [code, [meaning, fix]] of Object.entries(ERROR_CODES)) {
    const prefix = code.split('_')[0]!
    if (prefix !== area) {
      area = prefix
      lines.push('', `## ${AREAS[prefix] ?? prefix}`, '', '| code | meaning | what to do |', '|---|---|---|')
    }
    lines.push(`| \`${code}\` | ${escape(meaning)} | ${escape(fix)} |`)
  }
  return `${lines.join('\n')}\n`
}

function escape(s: string): string {
  return s.replace(/\|/g, '\\|')
}
