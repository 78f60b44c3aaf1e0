/**
 * Every `chaoscope …` command line that the README, docs/*.md, the source's messages and hints, and the `--help`
 * of every command quote parses: its command exists, its flags exist and their values are accepted. A hint for
 * something not built must say "not supported yet" instead of naming a command.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES, isChaosError } from '../../src/errors.js'
import { buildProgram } from '../../src/cli/main.js'
import type { Run } from '../../src/cli/main.js'

const ROOT = join(import.meta.dirname, '../..')

function quiet(): Run {
  return { out: () => {}, err: () => {}, exitCode: 0, parseOnly: true }
}

/**
 * Command lines in a text: inside backticks, and on lines that start with one (`lineStart`: the code lines of
 * Markdown, the examples of --help).
 */
export function commandLines(text: string, lineStart: RegExp = /^\s*(\$ )?(\.\/bin\/chaoscope\.js|chaoscope|cat \S+ \|) /): string[] {
  const found: string[] = []
  const pieces = [...text.matchAll(/`([^`\n]*chaoscope[^`\n]*)`/g)].map((m) => m[1]!)
  for (const line of text.split('\n')) if (lineStart.test(line)) pieces.push(line)
  for (const piece of pieces) {
    for (const segment of piece.replace(/\s#.*$/, '').split(/&&|;|\s\|\s/)) {
      const m = /(?:^|\s)(?:\.\/bin\/chaoscope\.js|chaoscope)((?:\s+\S+)*)\s*$/.exec(segment.trim())
      if (m && !/^\s*\.\w/.test(m[1]!)) found.push(`chaoscope${m[1]!.replace(/\s+$/, '')}`)
    }
  }
  return found
}

/** `chaoscope get pods [-l app=middle] [-o wide|json|yaml]` → the argv of one concrete use. */
export function concrete(line: string): string[] {
  const words = line.match(/'[^']*'|"[^"]*"|\S+/g) ?? []
  return words.slice(1)
    .filter((w) => w !== '...' && w !== '[...]')
    .map((w) => w.replace(/^['"]|['"]$/g, '').replace(/^[[<]|[\]>]$/g, '').replace(/[[\]]/g, ''))
    .map((w) => (w.includes('|') && !w.startsWith('-') ? w.split('|')[0]! : w))
    .map((w) => (/^(N|PORT|SECONDS|BYTES|LINES)$/.test(w) ? '1' : w))
    .filter((w) => w !== '')
}

/** Why the line does not parse, or undefined. A missing argument is fine: the command and its flags exist. */
async function parseProblem(argv: string[]): Promise<string | undefined> {
  const program = buildProgram(quiet())
  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0 || e.code === 'commander.missingArgument' || e.code === 'commander.missingMandatoryOptionValue' || e.code === 'commander.optionMissingArgument' || e.code === 'commander.help') return undefined
      return `${e.code}: ${e.message}`
    }
    if (isChaosError(e)) return `${e.code}: ${e.message}`
    throw e
  }
  return undefined
}

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && ext.test(d.name) && !/\.test\.ts$/.test(d.name))
    .map((d) => join(d.parentPath, d.name))
}

function helpTexts(): Map<string, string> {
  const texts = new Map<string, string>()
  const walk = (cmd: Command, path: string) => {
    let out = ''
    cmd.configureOutput({ writeOut: (s) => (out += s), writeErr: (s) => (out += s) })
    cmd.outputHelp()
    texts.set(`${path} --help`, out)
    for (const sub of cmd.commands) walk(sub, `${path} ${sub.name()}`)
  }
  walk(buildProgram(quiet()), 'chaoscope')
  return texts
}

describe('every quoted chaoscope command line parses', () => {
  // where → the command lines it quotes
  const sources = new Map<string, string[]>()
  for (const f of [join(ROOT, 'README.md'), ...files(join(ROOT, 'docs'), /\.md$/)]) sources.set(relative(ROOT, f), commandLines(readFileSync(f, 'utf8')))
  for (const [code, [meaning, fix]] of Object.entries(ERROR_CODES)) sources.set(`src/errors.ts ${code}`, [...commandLines(meaning), ...commandLines(fix)])
  // hints and messages in the source: string literals in single quotes that quote a command in backticks
  for (const f of files(join(ROOT, 'src'), /\.ts$/)) {
    const literals = [...readFileSync(f, 'utf8').matchAll(/'((?:[^'\\\n]|\\.)*`chaoscope [^`'\n]*`(?:[^'\\\n]|\\.)*)'/g)].map((m) => m[1]!)
    sources.set(relative(ROOT, f), literals.flatMap((l) => commandLines(l, /^$/)))
  }
  for (const [name, text] of helpTexts()) sources.set(name, commandLines(text, /^ {2}chaoscope /))

  it('finds the lines it checks (the extraction works)', () => {
    expect(commandLines('run `chaoscope get pods -l app=web`; or:\n  chaoscope up -f a.yaml --detach && chaoscope get pods # comment\n')).toEqual(['chaoscope get pods -l app=web', 'chaoscope up -f a.yaml --detach', 'chaoscope get pods'])
    expect(concrete('chaoscope server [--runtime URL] [--port N]')).toEqual(['server', '--runtime', 'URL', '--port', '1'])
    expect(concrete('chaoscope get <kind|all|pods> [NAME] [-o wide|json|yaml]')).toEqual(['get', 'kind', 'NAME', '-o', 'wide'])
    expect([...sources.values()].flat().length).toBeGreaterThan(40)
    expect(sources.get('chaoscope get --help')).toContain('chaoscope get pods -l app=middle')
  })

  it('a line naming a command or flag that does not exist is caught', async () => {
    expect(await parseProblem(['reportx', 'journal.json'])).toMatch(/unknownCommand/)
    expect(await parseProblem(['report', 'journal.json'])).toMatch(/excessArguments/)
    expect(await parseProblem(['apply', '--cluster', 'prod'])).toMatch(/unknownOption/)
    expect(await parseProblem(['down', '--timeout', 'soon'])).toMatch(/CLI_USAGE/)
  })

  it('README.md, docs/*.md, the source\'s hints and every --help', async () => {
    const problems: string[] = []
    for (const [where, lines] of sources) {
      for (const line of lines) {
        const problem = await parseProblem(concrete(line))
        if (problem) problems.push(`${where}: ${line}  → ${problem}`)
      }
    }
    expect(problems).toEqual([])
  })
})
