/** @module manifest/kinds/io-chaos: IOChaos (latency, errno faults, attribute overrides and mistakes on file operations). */
import { defineKind } from '../kind.js'
import { arr, duration, int, obj, oneOf, opt, str } from '../schema-kit.js'
import type { Static } from '../schema-kit.js'
import { checkPodSelector, containerSelectorFields, defaultSelectorNamespace, durationField, remoteClusterField } from './common.js'

export const IO_CHAOS_ACTIONS = ['latency', 'fault', 'attrOverride', 'mistake'] as const
/** The file-system operations an IOChaos can be limited to. */
export const IO_METHODS = [
  'lookup', 'forget', 'getattr', 'setattr', 'readlink', 'mknod', 'mkdir', 'unlink', 'rmdir', 'symlink', 'rename',
  'link', 'open', 'read', 'write', 'flush', 'release', 'fsync', 'opendir', 'readdir', 'releasedir', 'fsyncdir',
  'statfs', 'setxattr', 'getxattr', 'listxattr', 'removexattr', 'access', 'create', 'getlk', 'setlk', 'bmap',
] as const
export const FILE_TYPES = ['namedPipe', 'charDevice', 'blockDevice', 'directory', 'regularFile', 'symlink', 'socket'] as const
export const MISTAKE_FILLINGS = ['zero', 'random'] as const

const UINT32_MAX = 4_294_967_295
const u32 = () => int({ minimum: 0, maximum: UINT32_MAX })
const u64 = () => int({ minimum: 0 })
const timespec = obj({ sec: int(), nsec: int() })

const attrOverride = obj({
  ino: opt(u64()),
  size: opt(u64()),
  blocks: opt(u64()),
  atime: opt(timespec),
  mtime: opt(timespec),
  ctime: opt(timespec),
  kind: opt(oneOf(FILE_TYPES)),
  perm: opt(int({ minimum: 0, maximum: 65535 })),
  nlink: opt(u32()),
  uid: opt(u32()),
  gid: opt(u32()),
  rdev: opt(u32()),
})

const mistakeSpec = obj({
  filling: opt(oneOf(MISTAKE_FILLINGS)),
  maxOccurrences: opt(int({ minimum: 1 })),
  maxLength: opt(int({ minimum: 1 })),
})

export const ioChaosSpec = obj({
  ...containerSelectorFields,
  action: oneOf(IO_CHAOS_ACTIONS),
  delay: opt(duration()),
  errno: opt(u32()),
  attr: opt(attrOverride),
  mistake: opt(mistakeSpec),
  path: opt(str()),
  methods: opt(arr(oneOf(IO_METHODS))),
  percent: opt(int({ default: 100, minimum: 0, maximum: 100 })),
  volumePath: str(),
  ...durationField,
  ...remoteClusterField,
})
export type IOChaosSpec = Static<typeof ioChaosSpec>

export const ioChaos = defineKind({
  apiVersion: 'chaos-mesh.org/v1alpha1',
  kind: 'IOChaos',
  embedKey: 'ioChaos',
  spec: ioChaosSpec,
  defaults(spec, metadata) {
    defaultSelectorNamespace(spec, metadata)
  },
  check(spec, ctx) {
    checkPodSelector(spec, ctx)
    switch (spec.action) {
      case 'latency':
        if (!spec.delay) ctx.issue(['delay'], 'SPEC_REQUIRED', 'action latency needs spec.delay', 'add delay: "100ms"')
        break
      case 'fault':
        if (!spec.errno) ctx.issue(['errno'], 'SPEC_REQUIRED', 'action fault needs a non-zero spec.errno', 'add errno: 5 (EIO), or another Linux error number')
        break
      case 'attrOverride':
        if (!spec.attr || Object.keys(spec.attr).length === 0) ctx.issue(['attr'], 'SPEC_REQUIRED', 'action attrOverride needs spec.attr with at least one attribute', 'add e.g. attr: { perm: 72 }')
        break
      case 'mistake':
        if (!spec.mistake) {
          ctx.issue(['mistake'], 'SPEC_REQUIRED', 'action mistake needs spec.mistake', 'add mistake: { filling: zero, maxOccurrences: 1, maxLength: 10 }')
        } else {
          for (const f of ['filling', 'maxOccurrences', 'maxLength'] as const) {
            if (spec.mistake[f] === undefined) ctx.issue(['mistake', f], 'SPEC_REQUIRED', `action mistake needs mistake.${f}`)
          }
        }
        break
    }
  },
})
