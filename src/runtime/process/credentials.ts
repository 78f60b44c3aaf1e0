/**
 * @module runtime/process/credentials: `securityContext.runAsUser` / `runAsGroup` as the kubelet applies them, for a
 * runtime that runs as root: names are looked up in /etc/passwd and /etc/group (ids are taken as written, as a
 * container image's numeric USER is), and the launch chain drops to them with setpriv after the steps that need root
 * (joining the cgroups, entering the network namespace).
 */
import { readFileSync } from 'node:fs'

export interface Credentials {
  uid?: number
  gid?: number
  /** The user's name when /etc/passwd knows it: its supplementary groups are then set from /etc/group (initgroups). */
  user?: string
}

export type CredentialsResult = { ok: true; credentials: Credentials | undefined } | { ok: false; message: string }

interface DbEntry {
  name: string
  id: number
  /** /etc/passwd: the user's primary group. */
  gid?: number
  /** /etc/group: the group's members, by name. */
  members?: string[]
}

/** The entries of /etc/passwd (`withGid`) or /etc/group (with members); none when the file cannot be read. */
function readDb(file: string, withGid: boolean): DbEntry[] {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return []
  }
  const out: DbEntry[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const f = line.split(':')
    const id = Number(f[2])
    if (f.length < 3 || !Number.isInteger(id)) continue
    if (withGid) out.push({ name: f[0]!, id, ...(Number.isInteger(Number(f[3])) ? { gid: Number(f[3]) } : {}) })
    else out.push({ name: f[0]!, id, members: (f[3] ?? '').split(',').filter(Boolean) })
  }
  return out
}

const isId = (v: number | string): boolean => typeof v === 'number' || /^[0-9]+$/.test(v)

/**
 * The credentials a pod runs with, or why it cannot get them (the pod then stays in CreateContainerConfigError, as
 * the kubelet leaves a pod whose user does not exist). A user without a group takes the user's primary group.
 * @param runtimeUid the runtime's own uid: only root may run pods as someone else
 */
export function resolveCredentials(
  sc: { runAsUser?: number | string; runAsGroup?: number | string } | undefined,
  runtimeUid: number | undefined = process.getuid?.(),
  files: { passwd: string; group: string } = { passwd: '/etc/passwd', group: '/etc/group' },
): CredentialsResult {
  if (sc?.runAsUser === undefined && sc?.runAsGroup === undefined) return { ok: true, credentials: undefined }
  const creds: Credentials = {}
  if (sc.runAsUser !== undefined) {
    const passwd = readDb(files.passwd, true)
    const v = sc.runAsUser
    const entry = isId(v) ? passwd.find((e) => e.id === Number(v)) : passwd.find((e) => e.name === v)
    if (!entry && !isId(v)) return { ok: false, message: `runAsUser: no user named ${JSON.stringify(v)} in ${files.passwd}` }
    creds.uid = entry?.id ?? Number(v)
    if (entry) {
      creds.user = entry.name
      if (entry.gid !== undefined) creds.gid = entry.gid
    }
  }
  if (sc.runAsGroup !== undefined) {
    const v = sc.runAsGroup
    if (isId(v)) creds.gid = Number(v)
    else {
      const entry = readDb(files.group, false).find((e) => e.name === v)
      if (!entry) return { ok: false, message: `runAsGroup: no group named ${JSON.stringify(v)} in ${files.group}` }
      creds.gid = entry.id
    }
  }
  if (runtimeUid !== 0 && (creds.uid ?? runtimeUid) !== runtimeUid) {
    return { ok: false, message: `cannot run as user ${sc.runAsUser}: the runtime does not run as root` }
  }
  if (runtimeUid !== 0 && creds.gid !== undefined && creds.gid !== process.getgid?.()) {
    return { ok: false, message: `cannot run as group ${sc.runAsGroup ?? creds.gid}: the runtime does not run as root` }
  }
  // the runtime's own user and group: nothing to change (and an unprivileged setpriv could not set the groups)
  if (runtimeUid !== 0) return { ok: true, credentials: undefined }
  return { ok: true, credentials: creds }
}

/**
 * setpriv's options for `creds`: real and effective ids, and the supplementary groups (the user's from /etc/group
 * when it has a name there, none otherwise, so that root's groups are never kept).
 */
export function setprivArgs(creds: Credentials): string[] {
  const args: string[] = []
  if (creds.uid !== undefined) args.push(`--reuid=${creds.uid}`)
  if (creds.gid !== undefined) args.push(`--regid=${creds.gid}`)
  args.push(creds.user !== undefined && creds.uid !== undefined ? '--init-groups' : '--clear-groups')
  return args
}

/** The ids of the groups a pod with `creds` is in: its gid and, for a named user, its groups in /etc/group. */
function groupsOf(creds: Credentials, groupFile: string): Set<number> {
  const gids = new Set<number>()
  if (creds.gid !== undefined) gids.add(creds.gid)
  if (creds.user === undefined) return gids
  for (const g of readDb(groupFile, false)) if (g.members!.includes(creds.user)) gids.add(g.id)
  return gids
}

/**
 * The first directory on the way to `path` (itself included) that a pod with `creds` may not enter, with its mode,
 * or undefined when every one lets it through. Root's home (mode 0700) is the usual one: a data directory under it is
 * out of reach of an unprivileged user however its own mode is set.
 */
export function blockedOnTheWay(path: string, creds: Credentials, stat: (p: string) => { mode: number; uid: number; gid: number }, groupFile = '/etc/group'): { dir: string; mode: string } | undefined {
  if (creds.uid === 0 || creds.uid === undefined) return undefined
  const gids = groupsOf(creds, groupFile)
  const parts = path.split('/').filter(Boolean)
  for (let i = 0; i <= parts.length; i++) {
    const dir = `/${parts.slice(0, i).join('/')}`
    let st: { mode: number; uid: number; gid: number }
    try {
      st = stat(dir)
    } catch {
      return undefined // not made yet: the runtime makes it for the pod
    }
    const bit = st.uid === creds.uid ? 0o100 : gids.has(st.gid) ? 0o010 : 0o001
    if ((st.mode & bit) === 0) return { dir, mode: (st.mode & 0o777).toString(8).padStart(4, '0') }
  }
  return undefined
}
