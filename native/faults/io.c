/*
 * chaoscope fault library: IOChaos. The libc file calls of a pod (open, read, write, stat, ...) are interposed
 * here; each is one of Chaos Mesh's FUSE methods (a FUSE file system sees the same operations):
 *
 *   open / create / opendir   open, open64, openat, openat64, creat, creat64, __open*_2, fopen, fopen64; opendir,
 *                             fdopendir, scandir. An open of a directory is opendir; with O_CREAT of a file that is not
 *                             there (or O_TMPFILE) it is create; otherwise open.
 *   read / write              read, pread, readv, preadv, preadv2 (and their 64 and _chk forms); write, pwrite, writev,
 *                             pwritev, pwritev2 (and 64)
 *   getattr                   stat, lstat, fstat, fstatat, statx (and 64), glibc's older __xstat family
 *   setattr                   chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, truncate, ftruncate (and 64),
 *                             utime, utimes, lutimes, futimes, futimesat, utimensat, futimens
 *   flush, release            close (of a file); releasedir: close of a directory, closedir
 *   fsync / fsyncdir          fsync, fdatasync (fsyncdir on a directory)
 *   readdir                   readdir, readdir64, readdir_r, readdir64_r (the first entry of a stream and every 128th:
 *                             FUSE reads a directory in batches), scandir
 *   mkdir mknod unlink rmdir rename link symlink readlink access statfs, the xattr calls, getlk/setlk (fcntl locks,
 *   flock, lockf): the libc calls of those names (+at, l and f forms, remove, mkfifo, statvfs).
 *   lookup, forget, bmap: no libc call is one (the injector refuses them).
 *
 * With the io slot at 0 (no rules) every call is one load and a compare on its way to libc. With rules, a call
 * whose method no rule names still passes at once; otherwise its path is found (fd calls: readlink of
 * /proc/self/fd/N, by raw syscalls) and each rule, in order, is tried: its method, its volume (a directory and
 * everything below it), its glob, then its percent draw. latency sleeps (summed), fault fails the call with its
 * errno without making it (close and closedir close, then fail, as a FUSE flush error does), attrOverride sets
 * fields of a stat result (on getattr calls whatever `methods` says, as Chaos Mesh does), mistake spoils up to
 * max_occ runs of up to max_len bytes of what a read returned, or of a copy of what a write is given.
 *
 * io.rules, one rule per line of space-separated key=value tokens, values %XX-encoded (src/runtime/effects/io-fault.ts
 * writes them):
 *
 *   id=<effect> action=latency|fault|attr|mistake volume=<abs dir> [real=<its realpath>] [path=<abs glob>]
 *   [methods=read,write,...] percent=<0-100> [delay_ns=N] [errno=N] [count=<file in the control dir>]
 *   attr:    [ino=N] [size=N] [blocks=N] [atime=S,NS] [mtime=S,NS] [ctime=S,NS] [kind=regularFile|directory|...]
 *            [perm=N] [nlink=N] [uid=N] [gid=N] [rdev=N]
 *   mistake: filling=zero|random max_occ=N max_len=N
 *
 * `count` names an 8-byte file the runtime creates; the library maps it and adds 1 for each call a rule acted on.
 * Globs: `*` and `?` stop at `/`, `[...]`/`[!...]` classes, `**` as a whole component is any number of components.
 */
#define _GNU_SOURCE
#include "control.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

_Static_assert(sizeof(struct stat) == sizeof(struct stat64), "struct stat64 is struct stat on this platform");
_Static_assert(sizeof(struct statfs) == sizeof(struct statfs64), "struct statfs64 is struct statfs on this platform");

/* ---- methods, in Chaos Mesh's order (a rule's `methods` is a mask of these bits) ---- */

enum {
  M_LOOKUP, M_FORGET, M_GETATTR, M_SETATTR, M_READLINK, M_MKNOD, M_MKDIR, M_UNLINK, M_RMDIR, M_SYMLINK, M_RENAME,
  M_LINK, M_OPEN, M_READ, M_WRITE, M_FLUSH, M_RELEASE, M_FSYNC, M_OPENDIR, M_READDIR, M_RELEASEDIR, M_FSYNCDIR,
  M_STATFS, M_SETXATTR, M_GETXATTR, M_LISTXATTR, M_REMOVEXATTR, M_ACCESS, M_CREATE, M_GETLK, M_SETLK, M_BMAP, M_COUNT
};
static const char *const METHOD_NAMES[M_COUNT] = {
  "lookup", "forget", "getattr", "setattr", "readlink", "mknod", "mkdir", "unlink", "rmdir", "symlink", "rename",
  "link", "open", "read", "write", "flush", "release", "fsync", "opendir", "readdir", "releasedir", "fsyncdir",
  "statfs", "setxattr", "getxattr", "listxattr", "removexattr", "access", "create", "getlk", "setlk", "bmap",
};
#define BIT(m) (1u << (m))

/* Calls whose method depends on what they act on (found only once a rule could match). */
enum { K_NONE, K_OPEN, K_CLOSE, K_FSYNC, K_REMOVE };

static uint32_t kind_methods(int kind, uint32_t want) {
  switch (kind) {
    case K_OPEN: return BIT(M_OPEN) | BIT(M_CREATE) | BIT(M_OPENDIR);
    case K_CLOSE: return BIT(M_FLUSH) | BIT(M_RELEASE) | BIT(M_RELEASEDIR);
    case K_FSYNC: return BIT(M_FSYNC) | BIT(M_FSYNCDIR);
    case K_REMOVE: return BIT(M_UNLINK) | BIT(M_RMDIR);
    default: return want;
  }
}

/* ---- rules ---- */

enum { A_LATENCY, A_FAULT, A_ATTR, A_MISTAKE };
enum { F_INO = 1, F_SIZE = 2, F_BLOCKS = 4, F_ATIME = 8, F_MTIME = 16, F_CTIME = 32, F_KIND = 64, F_PERM = 128, F_NLINK = 256, F_UID = 512, F_GID = 1024, F_RDEV = 2048 };

struct rule {
  int action;
  uint32_t methods;
  unsigned percent;
  char *volume, *real, *glob; /* real: NULL when it is the volume; glob: NULL for every file of the volume */
  size_t vlen, rlen;
  uint64_t delay_ns;
  int err;
  unsigned attrs;
  uint64_t ino, size, blocks;
  struct timespec atime, mtime, ctime;
  mode_t kind;
  unsigned perm;
  uint32_t nlink, uid, gid, rdev;
  int random_fill;
  uint64_t max_occ, max_len;
  uint64_t *counter;
};

struct ruleset {
  uint32_t gen;
  uint32_t methods; /* every method some rule acts on */
  int n;
  struct rule r[];
};

static struct ruleset *published;
static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;

/* A child forked while another thread held one of these locks would wait on it forever: it starts with both free
 * (its only thread is the one that forked, which held neither inside fork). */
static void io_child_after_fork(void) {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  reload_lock = fresh;
  streams_lock = fresh;
}

__attribute__((constructor)) static void io_atfork(void) { pthread_atfork(NULL, NULL, io_child_after_fork); }

static char *field(const char *line, const char *key) {
  char buf[PATH_MAX];
  int n = cs_field(line, key, buf, sizeof buf);
  if (n < 0) return NULL;
  char *s = malloc((size_t)n + 1);
  if (s) memcpy(s, buf, (size_t)n + 1);
  return s;
}

static int num(const char *line, const char *key, uint64_t *out) {
  char buf[32];
  if (cs_field(line, key, buf, sizeof buf) <= 0) return 0;
  char *end;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (errno || *end) return 0;
  *out = v;
  return 1;
}

static int timespec_field(const char *line, const char *key, struct timespec *ts) {
  char buf[64];
  if (cs_field(line, key, buf, sizeof buf) <= 0) return 0;
  char *comma = strchr(buf, ',');
  if (!comma) return 0;
  *comma = 0;
  ts->tv_sec = (time_t)strtoll(buf, NULL, 10);
  ts->tv_nsec = strtol(comma + 1, NULL, 10);
  return 1;
}

static mode_t kind_of(const char *s) {
  static const struct { const char *name; mode_t mode; } kinds[] = {
    { "namedPipe", S_IFIFO }, { "charDevice", S_IFCHR }, { "blockDevice", S_IFBLK }, { "directory", S_IFDIR },
    { "regularFile", S_IFREG }, { "symlink", S_IFLNK }, { "socket", S_IFSOCK },
  };
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) if (strcmp(s, kinds[i].name) == 0) return kinds[i].mode;
  return 0;
}

static uint32_t methods_of(const char *list) {
  uint32_t m = 0;
  const char *p = list;
  while (*p) {
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    for (int i = 0; i < M_COUNT; i++) if (strlen(METHOD_NAMES[i]) == len && strncmp(METHOD_NAMES[i], p, len) == 0) m |= BIT(i);
    p += len;
    if (*p == ',') p++;
  }
  return m;
}

/* The 8-byte counter file `name` of the control directory, mapped shared (every process of the pod adds to it). */
static uint64_t *map_counter(const char *name) {
  const char *dir = getenv("CHAOSCOPE_FAULT_DIR");
  if (!dir || !*dir || strchr(name, '/')) return NULL;
  char path[PATH_MAX];
  if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) return NULL;
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return NULL;
  void *m = (void *)syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  syscall(SYS_close, fd);
  if ((unsigned long)m >= (unsigned long)-4096) return NULL;
  return m;
}

static int parse_rule(const char *line, struct rule *r) {
  memset(r, 0, sizeof *r);
  char act[16];
  if (cs_field(line, "action", act, sizeof act) < 0) return 0;
  if (strcmp(act, "latency") == 0) r->action = A_LATENCY;
  else if (strcmp(act, "fault") == 0) r->action = A_FAULT;
  else if (strcmp(act, "attr") == 0) r->action = A_ATTR;
  else if (strcmp(act, "mistake") == 0) r->action = A_MISTAKE;
  else return 0;
  r->volume = field(line, "volume");
  if (!r->volume || r->volume[0] != '/') return 0;
  r->vlen = strlen(r->volume);
  r->real = field(line, "real");
  if (r->real && (r->real[0] != '/' || strcmp(r->real, r->volume) == 0)) r->real = NULL;
  if (r->real) r->rlen = strlen(r->real);
  r->glob = field(line, "path");
  char *methods = field(line, "methods");
  r->methods = methods ? methods_of(methods) : ~0u;
  uint64_t v;
  r->percent = num(line, "percent", &v) && v <= 100 ? (unsigned)v : 100;
  switch (r->action) {
    case A_LATENCY:
      if (!num(line, "delay_ns", &r->delay_ns)) return 0;
      break;
    case A_FAULT:
      if (!num(line, "errno", &v) || v == 0 || v > INT_MAX) return 0;
      r->err = (int)v;
      break;
    case A_ATTR:
      r->methods = BIT(M_GETATTR); /* attributes show through getattr, whatever methods says (as in Chaos Mesh) */
      if (num(line, "ino", &r->ino)) r->attrs |= F_INO;
      if (num(line, "size", &r->size)) r->attrs |= F_SIZE;
      if (num(line, "blocks", &r->blocks)) r->attrs |= F_BLOCKS;
      if (timespec_field(line, "atime", &r->atime)) r->attrs |= F_ATIME;
      if (timespec_field(line, "mtime", &r->mtime)) r->attrs |= F_MTIME;
      if (timespec_field(line, "ctime", &r->ctime)) r->attrs |= F_CTIME;
      char kind[16];
      if (cs_field(line, "kind", kind, sizeof kind) > 0 && (r->kind = kind_of(kind)) != 0) r->attrs |= F_KIND;
      if (num(line, "perm", &v)) { r->perm = (unsigned)v & 07777; r->attrs |= F_PERM; }
      if (num(line, "nlink", &v)) { r->nlink = (uint32_t)v; r->attrs |= F_NLINK; }
      if (num(line, "uid", &v)) { r->uid = (uint32_t)v; r->attrs |= F_UID; }
      if (num(line, "gid", &v)) { r->gid = (uint32_t)v; r->attrs |= F_GID; }
      if (num(line, "rdev", &v)) { r->rdev = (uint32_t)v; r->attrs |= F_RDEV; }
      break;
    case A_MISTAKE: {
      r->methods &= BIT(M_READ) | BIT(M_WRITE); /* the data of reads and writes */
      char fill[16];
      if (cs_field(line, "filling", fill, sizeof fill) < 0) return 0;
      r->random_fill = strcmp(fill, "random") == 0;
      if (!num(line, "max_occ", &r->max_occ) || !num(line, "max_len", &r->max_len) || !r->max_occ || !r->max_len) return 0;
      break;
    }
  }
  char count[128];
  if (cs_field(line, "count", count, sizeof count) > 0) r->counter = map_counter(count);
  return 1;
}

static struct ruleset *parse(uint32_t gen) {
  size_t len = 0;
  char *text = cs_read("io.rules", &len);
  int lines = 0;
  if (text) for (const char *p = text; *p; p++) if (*p == '\n') lines++;
  struct ruleset *rs = calloc(1, sizeof *rs + (size_t)(lines + 1) * sizeof(struct rule));
  if (!rs) { free(text); return NULL; }
  rs->gen = gen;
  for (char *line = text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = 0;
    if (*line && parse_rule(line, &rs->r[rs->n])) {
      rs->methods |= rs->r[rs->n].methods;
      rs->n++;
    }
    line = nl ? nl + 1 : NULL;
  }
  free(text);
  return rs;
}

/* The rules of the current generation (reparsed when it moved), or NULL when there are none. Never freed: a
 * published set may still be read by another thread. */
static struct ruleset *rules_now(void) {
  uint32_t gen = cs_gen(CS_IO);
  if (gen == 0) return NULL;
  struct ruleset *rs = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
  if (!rs || rs->gen != gen) {
    pthread_mutex_lock(&reload_lock);
    rs = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
    if (!rs || rs->gen != gen) {
      struct ruleset *next = parse(gen);
      if (next) __atomic_store_n(&published, next, __ATOMIC_RELEASE);
      rs = next;
    }
    pthread_mutex_unlock(&reload_lock);
  }
  return rs && rs->n > 0 ? rs : NULL;
}

/* ---- paths ---- */

/* `*` and `?` never match `/`; `**` as a whole component matches zero or more components. */
static int glob_match(const char *p, const char *pat0, const char *s) {
  for (;;) {
    if (*p == 0) return *s == 0;
    if (p[0] == '*' && p[1] == '*' && (p == pat0 || p[-1] == '/') && (p[2] == '/' || p[2] == 0)) {
      if (p[2] == 0) return 1;
      for (const char *t = s;;) {
        if (glob_match(p + 3, pat0, t)) return 1;
        t = strchr(t, '/');
        if (!t) return 0;
        t++;
      }
    }
    if (*p == '*') {
      while (*p == '*') p++;
      for (const char *t = s;; t++) {
        if (glob_match(p, pat0, t)) return 1;
        if (*t == 0 || *t == '/') return 0;
      }
    }
    if (*p == '?') {
      if (*s == 0 || *s == '/') return 0;
      p++, s++;
      continue;
    }
    if (*p == '[') {
      const char *q = p + 1;
      int neg = *q == '!';
      if (neg) q++;
      const char *first = q;
      int hit = 0;
      while (*q && (*q != ']' || q == first)) {
        unsigned char lo = (unsigned char)*q, hi = lo;
        if (q[1] == '-' && q[2] && q[2] != ']') { hi = (unsigned char)q[2]; q += 3; } else q++;
        if ((unsigned char)*s >= lo && (unsigned char)*s <= hi) hit = 1;
      }
      if (*q == ']') {
        if (*s == 0 || *s == '/' || hit == neg) return 0;
        p = q + 1, s++;
        continue;
      }
      /* no closing bracket: a literal '[' */
    }
    if (*p != *s) return 0;
    p++, s++;
  }
}

/* Lexically: an absolute path without empty, `.` and `..` components, into out (PATH_MAX). */
static int normalize(const char *in, char *out) {
  size_t o = 0;
  const char *p = in;
  while (*p) {
    while (*p == '/') p++;
    const char *c = p;
    while (*p && *p != '/') p++;
    size_t n = (size_t)(p - c);
    if (n == 0 || (n == 1 && c[0] == '.')) continue;
    if (n == 2 && c[0] == '.' && c[1] == '.') {
      while (o > 0 && out[o - 1] != '/') o--;
      if (o > 0) o--;
      continue;
    }
    if (o + 1 + n >= PATH_MAX) return -1;
    out[o++] = '/';
    memcpy(out + o, c, n);
    o += n;
  }
  if (o == 0) out[o++] = '/';
  out[o] = 0;
  return 0;
}

/* The path an fd is open on (its /proc/self/fd link, by raw syscalls), or -1 for sockets, pipes and the like. A
 * socket is told by fstat first (a tenth of the readlink's cost: servers read and write sockets all the time). */
static int fd_path(int fd, char *out) {
  struct stat st;
  if (syscall(SYS_fstat, fd, &st) != 0 || S_ISSOCK(st.st_mode)) return -1;
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  long n = syscall(SYS_readlinkat, AT_FDCWD, link, out, PATH_MAX - 1);
  if (n <= 0 || out[0] != '/') return -1;
  out[n] = 0;
  static const char deleted[] = " (deleted)";
  size_t dl = sizeof deleted - 1;
  if ((size_t)n > dl && strcmp(out + n - dl, deleted) == 0) out[n - dl] = 0;
  return 0;
}

/* `path` as an absolute, normalized path (relative to dirfd, or the working directory for AT_FDCWD). */
static int resolve_at(int dirfd, const char *path, char *out) {
  if (path[0] == '/') return normalize(path, out);
  char base[PATH_MAX * 2];
  if (dirfd == AT_FDCWD) {
    long n = syscall(SYS_getcwd, base, PATH_MAX);
    if (n <= 0 || base[0] != '/') return -1;
  } else if (fd_path(dirfd, base) < 0) {
    return -1;
  }
  size_t bl = strlen(base), pl = strlen(path);
  if (bl + 1 + pl >= sizeof base) return -1;
  base[bl] = '/';
  memcpy(base + bl + 1, path, pl + 1);
  return normalize(base, out);
}

static int under(const char *p, const char *v, size_t vl) {
  return vl == 1 || (strncmp(p, v, vl) == 0 && (p[vl] == 0 || p[vl] == '/'));
}

/* Whether path p (absolute, normalized) is in the rule's volume and matches its glob. A path under the volume's
 * real path is matched as the same file under the volume as written. */
static int path_ok(const struct rule *r, const char *p) {
  if (under(p, r->volume, r->vlen)) return !r->glob || glob_match(r->glob, r->glob, p);
  if (r->real && under(p, r->real, r->rlen)) {
    if (!r->glob) return 1;
    char as[PATH_MAX * 2];
    snprintf(as, sizeof as, "%s%s", r->volume, p + (r->rlen == 1 ? 0 : r->rlen));
    return glob_match(r->glob, r->glob, as);
  }
  return 0;
}

static int in_some_volume(const struct ruleset *rs, const char *p) {
  for (int i = 0; i < rs->n; i++) {
    const struct rule *r = &rs->r[i];
    if (under(p, r->volume, r->vlen) || (r->real && under(p, r->real, r->rlen))) return 1;
  }
  return 0;
}

/* ---- deciding a call ---- */

#define MAXHIT 8

/* What the rules left for after the call: attribute overrides (getattr) and mistakes (read, write). */
struct call {
  int nattr, nmis;
  const struct rule *attr[MAXHIT], *mis[MAXHIT];
};

static void bump(const struct rule *r) {
  if (r->counter) __atomic_fetch_add(r->counter, 1, __ATOMIC_RELAXED);
}

static int draw(unsigned percent) {
  return percent >= 100 || (percent > 0 && cs_random() % 100 < percent);
}

/* The rules, in order, on a call of methods `want` on p1 (and p2: rename, link): its errno, or 0 to go on. */
static int run(const struct ruleset *rs, uint32_t want, const char *p1, const char *p2, struct call *c, uint64_t *sleep_ns) {
  for (int i = 0; i < rs->n; i++) {
    const struct rule *r = &rs->r[i];
    if (!(r->methods & want)) continue;
    if (!path_ok(r, p1) && !(p2 && path_ok(r, p2))) continue;
    if (!draw(r->percent)) continue;
    switch (r->action) {
      case A_LATENCY:
        bump(r);
        *sleep_ns = *sleep_ns + r->delay_ns < *sleep_ns ? UINT64_MAX : *sleep_ns + r->delay_ns;
        break;
      case A_FAULT:
        bump(r);
        return r->err;
      case A_ATTR:
        if (c->nattr < MAXHIT) c->attr[c->nattr++] = r;
        break;
      case A_MISTAKE:
        if (c->nmis < MAXHIT) c->mis[c->nmis++] = r;
        break;
    }
  }
  return 0;
}

/* Sleeps by raw syscalls (a TimeChaos on the pod shifts no part of it), through signals. */
static void pause_ns(uint64_t ns) {
  struct timespec until;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &until);
  uint64_t s = ns / 1000000000u;
  if (s > (uint64_t)INT64_MAX / 2) s = (uint64_t)INT64_MAX / 2;
  until.tv_sec += (time_t)s;
  until.tv_nsec += (long)(ns % 1000000000u);
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  while (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == -1 && errno == EINTR) {}
}

static int is_dir_fd(int fd) {
  struct stat st;
  return syscall(SYS_fstat, fd, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The method of a path call whose method depends on the file (open: open, create or opendir; remove). */
static uint32_t path_kind(int kind, const char *p, int oflags) {
  struct stat st;
  int there = syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0) == 0;
  if (kind == K_REMOVE) return there && S_ISDIR(st.st_mode) ? BIT(M_RMDIR) : BIT(M_UNLINK);
  if ((oflags & O_TMPFILE) == O_TMPFILE) return BIT(M_CREATE);
  if (oflags & O_DIRECTORY) return BIT(M_OPENDIR);
  if (there) return S_ISDIR(st.st_mode) ? BIT(M_OPENDIR) : BIT(M_OPEN);
  return (oflags & O_CREAT) ? BIT(M_CREATE) : BIT(M_OPEN);
}

enum { ON_FD, ON_AT };

/*
 * Decides a call: on fd (ON_FD) or on path relative to dirfd (ON_AT; an empty path with AT_EMPTY_PATH is dirfd
 * itself), with a second path for rename and link. Sleeps the latency; returns the errno to fail with, or 0. errno
 * is kept as it was (readdir callers read it).
 */
static int decide(int how, int dirfd, const char *path, int atflags, int dirfd2, const char *path2, uint32_t want, int kind, int oflags, struct call *c) {
  c->nattr = c->nmis = 0;
  __asm__("" : "+r"(path)); /* libc's headers say nonnull; a caller may still pass NULL (libc then fails with EFAULT) */
  if (how == ON_AT && !path) return 0;
  if (!cs_enter()) return 0;
  int saved = errno, e = 0;
  uint64_t sleep_ns = 0;
  const struct ruleset *rs = rules_now();
  if (rs && (rs->methods & kind_methods(kind, want))) {
    char p[PATH_MAX], p2[PATH_MAX];
    int ok = how == ON_FD || (path[0] == 0 && (atflags & AT_EMPTY_PATH)) ? fd_path(dirfd, p) : resolve_at(dirfd, path, p);
    int ok2 = path2 ? resolve_at(dirfd2, path2, p2) : -1;
    if (ok < 0 && ok2 == 0) { memcpy(p, p2, sizeof p); ok = 0; ok2 = -1; }
    if (ok == 0 && (in_some_volume(rs, p) || (ok2 == 0 && in_some_volume(rs, p2)))) {
      if (kind == K_CLOSE) want = is_dir_fd(dirfd) ? BIT(M_RELEASEDIR) : BIT(M_FLUSH) | BIT(M_RELEASE);
      else if (kind == K_FSYNC) want = is_dir_fd(dirfd) ? BIT(M_FSYNCDIR) : BIT(M_FSYNC);
      else if (kind != K_NONE) want = path_kind(kind, p, oflags);
      e = run(rs, want, p, ok2 == 0 ? p2 : NULL, c, &sleep_ns);
    }
  }
  cs_leave();
  if (sleep_ns) pause_ns(sleep_ns);
  errno = saved; /* after the sleep: a signal that cut it short must not leave EINTR on a call that succeeds */
  return e;
}

static int on_fd(int fd, uint32_t want, int kind, struct call *c) { return decide(ON_FD, fd, NULL, 0, 0, NULL, want, kind, 0, c); }
static int on_at(int dirfd, const char *path, int atflags, uint32_t want, struct call *c) { return decide(ON_AT, dirfd, path, atflags, 0, NULL, want, K_NONE, 0, c); }
static int on_path(const char *path, uint32_t want, struct call *c) { return on_at(AT_FDCWD, path, 0, want, c); }
static int on_open(int dirfd, const char *path, int oflags, struct call *c) { return decide(ON_AT, dirfd, path, 0, 0, NULL, 0, K_OPEN, oflags, c); }
static int on_two(int d1, const char *p1, int d2, const char *p2, uint32_t want, struct call *c) { return decide(ON_AT, d1, p1, 0, d2, p2, want, K_NONE, 0, c); }

static long fail(int e) {
  errno = e;
  return -1;
}

/* ---- what acts after the call ---- */

static void fill(const struct rule *r, unsigned char *b, size_t n) {
  if (!r->random_fill) { memset(b, 0, n); return; }
  for (size_t i = 0; i < n; i++) b[i] = (unsigned char)cs_random();
}

/* Up to max_occ runs of up to max_len bytes, at random places of the n bytes the iovecs hold, as Chaos Mesh does. */
static void spoil_iov(const struct call *c, const struct iovec *iov, int cnt, size_t n) {
  if (n == 0) return;
  for (int k = 0; k < c->nmis; k++) {
    const struct rule *r = c->mis[k];
    uint64_t occ = 1 + cs_random() % r->max_occ;
    if (occ > n) occ = n;
    for (uint64_t i = 0; i < occ; i++) {
      size_t pos = (size_t)(cs_random() % n);
      uint64_t most = r->max_len < n - pos ? r->max_len : n - pos;
      size_t len = (size_t)(1 + cs_random() % most);
      size_t at = 0;
      for (int j = 0; j < cnt && len > 0; j++) {
        size_t seg = iov[j].iov_len;
        if (pos < at + seg) {
          size_t off = pos - at, take = seg - off < len ? seg - off : len;
          fill(r, (unsigned char *)iov[j].iov_base + off, take);
          pos += take, len -= take;
        }
        at += seg;
      }
    }
    bump(r);
  }
}

static void spoil(const struct call *c, void *buf, size_t n) {
  struct iovec one = { buf, n };
  spoil_iov(c, &one, 1, n);
}

/* A spoiled copy of what a write is given (the caller's buffer stays as it was): NULL when nothing is to spoil. */
static void *spoiled_copy(const struct call *c, const void *buf, size_t n) {
  if (c->nmis == 0 || n == 0) return NULL;
  void *copy = malloc(n);
  if (!copy) return NULL;
  memcpy(copy, buf, n);
  spoil(c, copy, n);
  return copy;
}

/* The same for a vector: one copy of all the bytes, and iovecs of the same lengths into it (in *out). */
static void *spoiled_iov(const struct call *c, const struct iovec *iov, int cnt, struct iovec **out) {
  if (c->nmis == 0 || cnt <= 0 || cnt > IOV_MAX) return NULL;
  size_t total = 0;
  for (int i = 0; i < cnt; i++) total += iov[i].iov_len;
  if (total == 0) return NULL;
  size_t vat = (total + 15) & ~(size_t)15; /* the iovecs after the bytes, aligned */
  char *copy = malloc(vat + (size_t)cnt * sizeof(struct iovec));
  if (!copy) return NULL;
  struct iovec *v = (struct iovec *)(void *)(copy + vat);
  for (size_t i = 0, at = 0; i < (size_t)cnt; at += iov[i].iov_len, i++) {
    memcpy(copy + at, iov[i].iov_base, iov[i].iov_len);
    v[i].iov_base = copy + at;
    v[i].iov_len = iov[i].iov_len;
  }
  spoil_iov(c, v, cnt, total);
  *out = v;
  return copy;
}

static void attr_stat(const struct call *c, struct stat *st) {
  for (int k = 0; k < c->nattr; k++) {
    const struct rule *r = c->attr[k];
    if (r->attrs & F_INO) st->st_ino = r->ino;
    if (r->attrs & F_SIZE) st->st_size = (off_t)r->size;
    if (r->attrs & F_BLOCKS) st->st_blocks = (blkcnt_t)r->blocks;
    if (r->attrs & F_ATIME) st->st_atim = r->atime;
    if (r->attrs & F_MTIME) st->st_mtim = r->mtime;
    if (r->attrs & F_CTIME) st->st_ctim = r->ctime;
    if (r->attrs & F_KIND) st->st_mode = (st->st_mode & ~(mode_t)S_IFMT) | r->kind;
    if (r->attrs & F_PERM) st->st_mode = (st->st_mode & (mode_t)S_IFMT) | r->perm;
    if (r->attrs & F_NLINK) st->st_nlink = r->nlink;
    if (r->attrs & F_UID) st->st_uid = r->uid;
    if (r->attrs & F_GID) st->st_gid = r->gid;
    if (r->attrs & F_RDEV) st->st_rdev = r->rdev;
    bump(r);
  }
}

static void attr_statx(const struct call *c, struct statx *sx) {
  for (int k = 0; k < c->nattr; k++) {
    const struct rule *r = c->attr[k];
    if (r->attrs & F_INO) sx->stx_ino = r->ino;
    if (r->attrs & F_SIZE) sx->stx_size = r->size;
    if (r->attrs & F_BLOCKS) sx->stx_blocks = r->blocks;
    if (r->attrs & F_ATIME) sx->stx_atime.tv_sec = r->atime.tv_sec, sx->stx_atime.tv_nsec = (uint32_t)r->atime.tv_nsec;
    if (r->attrs & F_MTIME) sx->stx_mtime.tv_sec = r->mtime.tv_sec, sx->stx_mtime.tv_nsec = (uint32_t)r->mtime.tv_nsec;
    if (r->attrs & F_CTIME) sx->stx_ctime.tv_sec = r->ctime.tv_sec, sx->stx_ctime.tv_nsec = (uint32_t)r->ctime.tv_nsec;
    if (r->attrs & F_KIND) sx->stx_mode = (uint16_t)((sx->stx_mode & ~S_IFMT) | r->kind);
    if (r->attrs & F_PERM) sx->stx_mode = (uint16_t)((sx->stx_mode & S_IFMT) | r->perm);
    if (r->attrs & F_NLINK) sx->stx_nlink = r->nlink;
    if (r->attrs & F_UID) sx->stx_uid = r->uid;
    if (r->attrs & F_GID) sx->stx_gid = r->gid;
    if (r->attrs & F_RDEV) sx->stx_rdev_major = major(r->rdev), sx->stx_rdev_minor = minor(r->rdev);
    bump(r);
  }
}

/* ---- directory streams: readdir acts on a stream's first entry and every 128th after ---- */

#define DIR_SLOTS 64
#define DIR_BATCH 128
static struct { DIR *d; unsigned n; } streams[DIR_SLOTS];

static unsigned slot_of(DIR *d) { return (unsigned)(((uintptr_t)d >> 4) % DIR_SLOTS); }

static int readdir_turn(DIR *d) {
  pthread_mutex_lock(&streams_lock);
  unsigned i = slot_of(d);
  if (streams[i].d != d) streams[i].d = d, streams[i].n = 0;
  int turn = streams[i].n++ % DIR_BATCH == 0;
  pthread_mutex_unlock(&streams_lock);
  return turn;
}

static void stream_forget(DIR *d) {
  pthread_mutex_lock(&streams_lock);
  unsigned i = slot_of(d);
  if (streams[i].d == d) streams[i].d = NULL;
  pthread_mutex_unlock(&streams_lock);
}

/* ---- the interposed calls ---- */

/* A pointer libc's headers declare nonnull, as the caller passed it (the compiler may not drop the test). */
static inline const void *opaque(const void *p) {
  __asm__("" : "+r"(p));
  return p;
}

static void *next_fn(void **slot, const char *name) {
  void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (!f) {
    f = cs_next(name);
    __atomic_store_n(slot, f, __ATOMIC_RELAXED);
  }
  return f;
}

/* glibc's __xstat family and __xmknod are compat symbols since 2.33, which dlsym does not find by name. */
static void *next_compat(void **slot, const char *name) {
  void *f = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (!f) {
    f = dlvsym(RTLD_NEXT, name, "GLIBC_2.2.5");
    if (!f) f = dlsym(RTLD_NEXT, name);
    __atomic_store_n(slot, f, __ATOMIC_RELAXED);
  }
  return f;
}

#define QUIET() __builtin_expect(cs_gen(CS_IO) == 0, 1)
#define NEXT(name) ((__typeof__(&name))next_fn(&next_##name, #name))
#define NEXTC(name) ((__typeof__(&name))next_compat(&next_##name, #name))
#define SLOT(name) static void *next_##name;

/* Calls with nothing to do after: the decision (`decide`, with the call's own parameters in scope), then the call. */
#define SIMPLE(ret, name, params, args, decision)        \
  SLOT(name)                                             \
  ret name params {                                      \
    if (QUIET()) return NEXT(name) args;                 \
    struct call c;                                       \
    int e = decision;                                    \
    if (e) return (ret)fail(e);                          \
    return NEXT(name) args;                              \
  }

/* open */

static int oflags_of(const char *mode) {
  return strchr(mode, 'w') || strchr(mode, 'a') ? O_CREAT : 0;
}

/* The mode is read only when the flags say it is there. */
#define MODE_ARG(flags)                                                  \
  mode_t mode = 0;                                                       \
  if ((flags) & (O_CREAT | __O_TMPFILE)) {                               \
    va_list ap;                                                          \
    va_start(ap, flags);                                                 \
    mode = va_arg(ap, mode_t);                                           \
    va_end(ap);                                                          \
  }

#define OPEN(name)                                                       \
  SLOT(name)                                                             \
  int name(const char *path, int flags, ...) {                           \
    MODE_ARG(flags)                                                      \
    if (!QUIET()) {                                                      \
      struct call c;                                                     \
      int e = on_open(AT_FDCWD, path, flags, &c);                        \
      if (e) return (int)fail(e);                                        \
    }                                                                    \
    return NEXT(name)(path, flags, mode);                                \
  }
#define OPENAT(name)                                                     \
  SLOT(name)                                                             \
  int name(int dirfd, const char *path, int flags, ...) {                \
    MODE_ARG(flags)                                                      \
    if (!QUIET()) {                                                      \
      struct call c;                                                     \
      int e = on_open(dirfd, path, flags, &c);                           \
      if (e) return (int)fail(e);                                        \
    }                                                                    \
    return NEXT(name)(dirfd, path, flags, mode);                         \
  }
OPEN(open)
OPEN(open64)
OPENAT(openat)
OPENAT(openat64)

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
SIMPLE(int, __open_2, (const char *path, int flags), (path, flags), on_open(AT_FDCWD, path, flags, &c))
SIMPLE(int, __open64_2, (const char *path, int flags), (path, flags), on_open(AT_FDCWD, path, flags, &c))
SIMPLE(int, __openat_2, (int dirfd, const char *path, int flags), (dirfd, path, flags), on_open(dirfd, path, flags, &c))
SIMPLE(int, __openat64_2, (int dirfd, const char *path, int flags), (dirfd, path, flags), on_open(dirfd, path, flags, &c))
SIMPLE(int, creat, (const char *path, mode_t mode), (path, mode), on_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, &c))
SIMPLE(int, creat64, (const char *path, mode_t mode), (path, mode), on_open(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, &c))

#define FOPEN(name)                                                     \
  SLOT(name)                                                            \
  FILE *name(const char *path, const char *mode) {                      \
    if (!QUIET() && mode) {                                             \
      struct call c;                                                    \
      int e = on_open(AT_FDCWD, path, oflags_of(mode), &c);             \
      if (e) return errno = e, (FILE *)NULL;                            \
    }                                                                   \
    return NEXT(name)(path, mode);                                      \
  }
FOPEN(fopen)
FOPEN(fopen64)

/* read */

#define READ_FD(name, params, args)                                      \
  SLOT(name)                                                             \
  ssize_t name params {                                                  \
    if (QUIET()) return NEXT(name) args;                                 \
    struct call c;                                                       \
    int e = on_fd(fd, BIT(M_READ), K_NONE, &c);                          \
    if (e) return fail(e);                                               \
    ssize_t r = NEXT(name) args;                                         \
    if (r > 0 && c.nmis) spoil(&c, buf, (size_t)r);                      \
    return r;                                                            \
  }
READ_FD(read, (int fd, void *buf, size_t n), (fd, buf, n))
READ_FD(pread, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off))
READ_FD(pread64, (int fd, void *buf, size_t n, off64_t off), (fd, buf, n, off))
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t n, off_t off, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t n, off64_t off, size_t buflen);
READ_FD(__read_chk, (int fd, void *buf, size_t n, size_t buflen), (fd, buf, n, buflen))
READ_FD(__pread_chk, (int fd, void *buf, size_t n, off_t off, size_t buflen), (fd, buf, n, off, buflen))
READ_FD(__pread64_chk, (int fd, void *buf, size_t n, off64_t off, size_t buflen), (fd, buf, n, off, buflen))

#define READ_V(name, params, args)                                       \
  SLOT(name)                                                             \
  ssize_t name params {                                                  \
    if (QUIET()) return NEXT(name) args;                                 \
    struct call c;                                                       \
    int e = on_fd(fd, BIT(M_READ), K_NONE, &c);                          \
    if (e) return fail(e);                                               \
    ssize_t r = NEXT(name) args;                                         \
    if (r > 0 && c.nmis) spoil_iov(&c, iov, cnt, (size_t)r);             \
    return r;                                                            \
  }
READ_V(readv, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt))
READ_V(preadv, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off))
READ_V(preadv64, (int fd, const struct iovec *iov, int cnt, off64_t off), (fd, iov, cnt, off))
READ_V(preadv2, (int fd, const struct iovec *iov, int cnt, off_t off, int flags), (fd, iov, cnt, off, flags))
READ_V(preadv64v2, (int fd, const struct iovec *iov, int cnt, off64_t off, int flags), (fd, iov, cnt, off, flags))

/* write */

#define WRITE_FD(name, params, args, spoiled_args)                       \
  SLOT(name)                                                             \
  ssize_t name params {                                                  \
    if (QUIET()) return NEXT(name) args;                                 \
    struct call c;                                                       \
    int e = on_fd(fd, BIT(M_WRITE), K_NONE, &c);                         \
    if (e) return fail(e);                                               \
    void *copy = spoiled_copy(&c, buf, n);                               \
    if (!copy) return NEXT(name) args;                                   \
    ssize_t r = NEXT(name) spoiled_args;                                 \
    int keep = errno;                                                    \
    free(copy);                                                          \
    errno = keep;                                                        \
    return r;                                                            \
  }
WRITE_FD(write, (int fd, const void *buf, size_t n), (fd, buf, n), (fd, copy, n))
WRITE_FD(pwrite, (int fd, const void *buf, size_t n, off_t off), (fd, buf, n, off), (fd, copy, n, off))
WRITE_FD(pwrite64, (int fd, const void *buf, size_t n, off64_t off), (fd, buf, n, off), (fd, copy, n, off))

#define WRITE_V(name, params, args, spoiled_args)                        \
  SLOT(name)                                                             \
  ssize_t name params {                                                  \
    if (QUIET()) return NEXT(name) args;                                 \
    struct call c;                                                       \
    int e = on_fd(fd, BIT(M_WRITE), K_NONE, &c);                         \
    if (e) return fail(e);                                               \
    struct iovec *v = NULL;                                              \
    void *copy = spoiled_iov(&c, iov, cnt, &v);                          \
    if (!copy) return NEXT(name) args;                                   \
    ssize_t r = NEXT(name) spoiled_args;                                 \
    int keep = errno;                                                    \
    free(copy);                                                          \
    errno = keep;                                                        \
    return r;                                                            \
  }
WRITE_V(writev, (int fd, const struct iovec *iov, int cnt), (fd, iov, cnt), (fd, v, cnt))
WRITE_V(pwritev, (int fd, const struct iovec *iov, int cnt, off_t off), (fd, iov, cnt, off), (fd, v, cnt, off))
WRITE_V(pwritev64, (int fd, const struct iovec *iov, int cnt, off64_t off), (fd, iov, cnt, off), (fd, v, cnt, off))
WRITE_V(pwritev2, (int fd, const struct iovec *iov, int cnt, off_t off, int flags), (fd, iov, cnt, off, flags), (fd, v, cnt, off, flags))
WRITE_V(pwritev64v2, (int fd, const struct iovec *iov, int cnt, off64_t off, int flags), (fd, iov, cnt, off, flags), (fd, v, cnt, off, flags))

/* close: flush and release (releasedir for a directory). The fd is closed even when the fault fails the call. */

SLOT(close)
int close(int fd) {
  if (QUIET()) return NEXT(close)(fd);
  struct call c;
  int e = on_fd(fd, 0, K_CLOSE, &c);
  int r = NEXT(close)(fd);
  return e && r == 0 ? (int)fail(e) : r;
}

SIMPLE(int, fsync, (int fd), (fd), on_fd(fd, 0, K_FSYNC, &c))
SIMPLE(int, fdatasync, (int fd), (fd), on_fd(fd, 0, K_FSYNC, &c))

/* getattr */

#define STAT_PATH(name, st_t, nx)                                        \
  SLOT(name)                                                             \
  int name(const char *path, st_t *st) {                                 \
    if (QUIET()) return nx(name)(path, st);                              \
    struct call c;                                                       \
    int e = on_path(path, BIT(M_GETATTR), &c);                           \
    if (e) return (int)fail(e);                                          \
    int r = nx(name)(path, st);                                          \
    if (r == 0 && c.nattr) attr_stat(&c, (struct stat *)st);             \
    return r;                                                            \
  }
STAT_PATH(stat, struct stat, NEXT)
STAT_PATH(stat64, struct stat64, NEXT)
STAT_PATH(lstat, struct stat, NEXT)
STAT_PATH(lstat64, struct stat64, NEXT)

#define STAT_FD(name, st_t)                                              \
  SLOT(name)                                                             \
  int name(int fd, st_t *st) {                                           \
    if (QUIET()) return NEXT(name)(fd, st);                              \
    struct call c;                                                       \
    int e = on_fd(fd, BIT(M_GETATTR), K_NONE, &c);                       \
    if (e) return (int)fail(e);                                          \
    int r = NEXT(name)(fd, st);                                          \
    if (r == 0 && c.nattr) attr_stat(&c, (struct stat *)st);             \
    return r;                                                            \
  }
STAT_FD(fstat, struct stat)
STAT_FD(fstat64, struct stat64)

#define STAT_AT(name, st_t)                                              \
  SLOT(name)                                                             \
  int name(int dirfd, const char *path, st_t *st, int flags) {           \
    if (QUIET()) return NEXT(name)(dirfd, path, st, flags);              \
    struct call c;                                                       \
    int e = on_at(dirfd, path, flags, BIT(M_GETATTR), &c);               \
    if (e) return (int)fail(e);                                          \
    int r = NEXT(name)(dirfd, path, st, flags);                          \
    if (r == 0 && c.nattr) attr_stat(&c, (struct stat *)st);             \
    return r;                                                            \
  }
STAT_AT(fstatat, struct stat)
STAT_AT(fstatat64, struct stat64)

SLOT(statx)
int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx) {
  if (QUIET()) return NEXT(statx)(dirfd, path, flags, mask, sx);
  struct call c;
  int e = on_at(dirfd, path, flags, BIT(M_GETATTR), &c);
  if (e) return (int)fail(e);
  int r = NEXT(statx)(dirfd, path, flags, mask, sx);
  if (r == 0 && c.nattr) attr_statx(&c, sx);
  return r;
}

/* glibc before 2.33 compiled stat() into calls of these */
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);

#define XSTAT(name, st_t, params, args, decision)                        \
  SLOT(name)                                                             \
  int name params {                                                      \
    if (QUIET()) return NEXTC(name) args;                                \
    struct call c;                                                       \
    int e = decision;                                                    \
    if (e) return (int)fail(e);                                          \
    int r = NEXTC(name) args;                                            \
    if (r == 0 && c.nattr) attr_stat(&c, (struct stat *)st);             \
    return r;                                                            \
  }
XSTAT(__xstat, struct stat, (int ver, const char *path, struct stat *st), (ver, path, st), on_path(path, BIT(M_GETATTR), &c))
XSTAT(__xstat64, struct stat64, (int ver, const char *path, struct stat64 *st), (ver, path, st), on_path(path, BIT(M_GETATTR), &c))
XSTAT(__lxstat, struct stat, (int ver, const char *path, struct stat *st), (ver, path, st), on_path(path, BIT(M_GETATTR), &c))
XSTAT(__lxstat64, struct stat64, (int ver, const char *path, struct stat64 *st), (ver, path, st), on_path(path, BIT(M_GETATTR), &c))
XSTAT(__fxstat, struct stat, (int ver, int fd, struct stat *st), (ver, fd, st), on_fd(fd, BIT(M_GETATTR), K_NONE, &c))
XSTAT(__fxstat64, struct stat64, (int ver, int fd, struct stat64 *st), (ver, fd, st), on_fd(fd, BIT(M_GETATTR), K_NONE, &c))
XSTAT(__fxstatat, struct stat, (int ver, int dirfd, const char *path, struct stat *st, int flags), (ver, dirfd, path, st, flags), on_at(dirfd, path, flags, BIT(M_GETATTR), &c))
XSTAT(__fxstatat64, struct stat64, (int ver, int dirfd, const char *path, struct stat64 *st, int flags), (ver, dirfd, path, st, flags), on_at(dirfd, path, flags, BIT(M_GETATTR), &c))

/* setattr */

#define SETATTR BIT(M_SETATTR)
SIMPLE(int, chmod, (const char *path, mode_t mode), (path, mode), on_path(path, SETATTR, &c))
SIMPLE(int, fchmod, (int fd, mode_t mode), (fd, mode), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, fchmodat, (int dirfd, const char *path, mode_t mode, int flags), (dirfd, path, mode, flags), on_at(dirfd, path, 0, SETATTR, &c))
SIMPLE(int, chown, (const char *path, uid_t u, gid_t g), (path, u, g), on_path(path, SETATTR, &c))
SIMPLE(int, lchown, (const char *path, uid_t u, gid_t g), (path, u, g), on_path(path, SETATTR, &c))
SIMPLE(int, fchown, (int fd, uid_t u, gid_t g), (fd, u, g), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, fchownat, (int dirfd, const char *path, uid_t u, gid_t g, int flags), (dirfd, path, u, g, flags), on_at(dirfd, path, flags, SETATTR, &c))
SIMPLE(int, truncate, (const char *path, off_t len), (path, len), on_path(path, SETATTR, &c))
SIMPLE(int, truncate64, (const char *path, off64_t len), (path, len), on_path(path, SETATTR, &c))
SIMPLE(int, ftruncate, (int fd, off_t len), (fd, len), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, ftruncate64, (int fd, off64_t len), (fd, len), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, utime, (const char *path, const struct utimbuf *t), (path, t), on_path(path, SETATTR, &c))
SIMPLE(int, utimes, (const char *path, const struct timeval t[2]), (path, t), on_path(path, SETATTR, &c))
SIMPLE(int, lutimes, (const char *path, const struct timeval t[2]), (path, t), on_path(path, SETATTR, &c))
SIMPLE(int, futimes, (int fd, const struct timeval t[2]), (fd, t), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, futimens, (int fd, const struct timespec t[2]), (fd, t), on_fd(fd, SETATTR, K_NONE, &c))
SIMPLE(int, futimesat, (int dirfd, const char *path, const struct timeval t[2]), (dirfd, path, t),
       opaque(path) ? on_at(dirfd, path, 0, SETATTR, &c) : on_fd(dirfd, SETATTR, K_NONE, &c))
SIMPLE(int, utimensat, (int dirfd, const char *path, const struct timespec t[2], int flags), (dirfd, path, t, flags),
       opaque(path) ? on_at(dirfd, path, flags, SETATTR, &c) : on_fd(dirfd, SETATTR, K_NONE, &c))

/* names: mkdir, mknod, unlink, rmdir, rename, link, symlink, readlink, access */

SIMPLE(int, mkdir, (const char *path, mode_t mode), (path, mode), on_path(path, BIT(M_MKDIR), &c))
SIMPLE(int, mkdirat, (int dirfd, const char *path, mode_t mode), (dirfd, path, mode), on_at(dirfd, path, 0, BIT(M_MKDIR), &c))
SIMPLE(int, mknod, (const char *path, mode_t mode, dev_t dev), (path, mode, dev), on_path(path, BIT(M_MKNOD), &c))
SIMPLE(int, mknodat, (int dirfd, const char *path, mode_t mode, dev_t dev), (dirfd, path, mode, dev), on_at(dirfd, path, 0, BIT(M_MKNOD), &c))
SIMPLE(int, mkfifo, (const char *path, mode_t mode), (path, mode), on_path(path, BIT(M_MKNOD), &c))
SIMPLE(int, mkfifoat, (int dirfd, const char *path, mode_t mode), (dirfd, path, mode), on_at(dirfd, path, 0, BIT(M_MKNOD), &c))
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);
SLOT(__xmknod)
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev) {
  if (!QUIET()) {
    struct call c;
    int e = on_path(path, BIT(M_MKNOD), &c);
    if (e) return (int)fail(e);
  }
  return NEXTC(__xmknod)(ver, path, mode, dev);
}
SLOT(__xmknodat)
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev) {
  if (!QUIET()) {
    struct call c;
    int e = on_at(dirfd, path, 0, BIT(M_MKNOD), &c);
    if (e) return (int)fail(e);
  }
  return NEXTC(__xmknodat)(ver, dirfd, path, mode, dev);
}

SIMPLE(int, unlink, (const char *path), (path), on_path(path, BIT(M_UNLINK), &c))
SIMPLE(int, unlinkat, (int dirfd, const char *path, int flags), (dirfd, path, flags), on_at(dirfd, path, 0, (flags & AT_REMOVEDIR) ? BIT(M_RMDIR) : BIT(M_UNLINK), &c))
SIMPLE(int, rmdir, (const char *path), (path), on_path(path, BIT(M_RMDIR), &c))
SIMPLE(int, remove, (const char *path), (path), decide(ON_AT, AT_FDCWD, path, 0, 0, NULL, 0, K_REMOVE, 0, &c))
SIMPLE(int, rename, (const char *from, const char *to), (from, to), on_two(AT_FDCWD, from, AT_FDCWD, to, BIT(M_RENAME), &c))
SIMPLE(int, renameat, (int fd1, const char *from, int fd2, const char *to), (fd1, from, fd2, to), on_two(fd1, from, fd2, to, BIT(M_RENAME), &c))
SIMPLE(int, renameat2, (int fd1, const char *from, int fd2, const char *to, unsigned int flags), (fd1, from, fd2, to, flags), on_two(fd1, from, fd2, to, BIT(M_RENAME), &c))
SIMPLE(int, link, (const char *from, const char *to), (from, to), on_two(AT_FDCWD, from, AT_FDCWD, to, BIT(M_LINK), &c))
SIMPLE(int, linkat, (int fd1, const char *from, int fd2, const char *to, int flags), (fd1, from, fd2, to, flags), on_two(fd1, from, fd2, to, BIT(M_LINK), &c))
SIMPLE(int, symlink, (const char *target, const char *path), (target, path), on_path(path, BIT(M_SYMLINK), &c))
SIMPLE(int, symlinkat, (const char *target, int dirfd, const char *path), (target, dirfd, path), on_at(dirfd, path, 0, BIT(M_SYMLINK), &c))
SIMPLE(ssize_t, readlink, (const char *path, char *buf, size_t n), (path, buf, n), on_path(path, BIT(M_READLINK), &c))
SIMPLE(ssize_t, readlinkat, (int dirfd, const char *path, char *buf, size_t n), (dirfd, path, buf, n), on_at(dirfd, path, 0, BIT(M_READLINK), &c))
SIMPLE(int, access, (const char *path, int mode), (path, mode), on_path(path, BIT(M_ACCESS), &c))
SIMPLE(int, euidaccess, (const char *path, int mode), (path, mode), on_path(path, BIT(M_ACCESS), &c))
SIMPLE(int, eaccess, (const char *path, int mode), (path, mode), on_path(path, BIT(M_ACCESS), &c))
SIMPLE(int, faccessat, (int dirfd, const char *path, int mode, int flags), (dirfd, path, mode, flags), on_at(dirfd, path, 0, BIT(M_ACCESS), &c))

/* statfs */

SIMPLE(int, statfs, (const char *path, struct statfs *b), (path, b), on_path(path, BIT(M_STATFS), &c))
SIMPLE(int, statfs64, (const char *path, struct statfs64 *b), (path, b), on_path(path, BIT(M_STATFS), &c))
SIMPLE(int, fstatfs, (int fd, struct statfs *b), (fd, b), on_fd(fd, BIT(M_STATFS), K_NONE, &c))
SIMPLE(int, fstatfs64, (int fd, struct statfs64 *b), (fd, b), on_fd(fd, BIT(M_STATFS), K_NONE, &c))
SIMPLE(int, statvfs, (const char *path, struct statvfs *b), (path, b), on_path(path, BIT(M_STATFS), &c))
SIMPLE(int, statvfs64, (const char *path, struct statvfs64 *b), (path, b), on_path(path, BIT(M_STATFS), &c))
SIMPLE(int, fstatvfs, (int fd, struct statvfs *b), (fd, b), on_fd(fd, BIT(M_STATFS), K_NONE, &c))
SIMPLE(int, fstatvfs64, (int fd, struct statvfs64 *b), (fd, b), on_fd(fd, BIT(M_STATFS), K_NONE, &c))

/* xattrs */

SIMPLE(int, setxattr, (const char *path, const char *name, const void *v, size_t n, int flags), (path, name, v, n, flags), on_path(path, BIT(M_SETXATTR), &c))
SIMPLE(int, lsetxattr, (const char *path, const char *name, const void *v, size_t n, int flags), (path, name, v, n, flags), on_path(path, BIT(M_SETXATTR), &c))
SIMPLE(int, fsetxattr, (int fd, const char *name, const void *v, size_t n, int flags), (fd, name, v, n, flags), on_fd(fd, BIT(M_SETXATTR), K_NONE, &c))
SIMPLE(ssize_t, getxattr, (const char *path, const char *name, void *v, size_t n), (path, name, v, n), on_path(path, BIT(M_GETXATTR), &c))
SIMPLE(ssize_t, lgetxattr, (const char *path, const char *name, void *v, size_t n), (path, name, v, n), on_path(path, BIT(M_GETXATTR), &c))
SIMPLE(ssize_t, fgetxattr, (int fd, const char *name, void *v, size_t n), (fd, name, v, n), on_fd(fd, BIT(M_GETXATTR), K_NONE, &c))
SIMPLE(ssize_t, listxattr, (const char *path, char *list, size_t n), (path, list, n), on_path(path, BIT(M_LISTXATTR), &c))
SIMPLE(ssize_t, llistxattr, (const char *path, char *list, size_t n), (path, list, n), on_path(path, BIT(M_LISTXATTR), &c))
SIMPLE(ssize_t, flistxattr, (int fd, char *list, size_t n), (fd, list, n), on_fd(fd, BIT(M_LISTXATTR), K_NONE, &c))
SIMPLE(int, removexattr, (const char *path, const char *name), (path, name), on_path(path, BIT(M_REMOVEXATTR), &c))
SIMPLE(int, lremovexattr, (const char *path, const char *name), (path, name), on_path(path, BIT(M_REMOVEXATTR), &c))
SIMPLE(int, fremovexattr, (int fd, const char *name), (fd, name), on_fd(fd, BIT(M_REMOVEXATTR), K_NONE, &c))

/* locks: getlk, setlk */

static uint32_t lock_method(int cmd) {
  switch (cmd) {
    case F_GETLK: case F_OFD_GETLK: return BIT(M_GETLK);
    case F_SETLK: case F_SETLKW: case F_OFD_SETLK: case F_OFD_SETLKW: return BIT(M_SETLK);
    default: return 0;
  }
}

#define FCNTL(name)                                                      \
  SLOT(name)                                                             \
  int name(int fd, int cmd, ...) {                                       \
    va_list ap;                                                          \
    va_start(ap, cmd);                                                   \
    void *arg = va_arg(ap, void *);                                      \
    va_end(ap);                                                          \
    uint32_t m;                                                          \
    if (!QUIET() && (m = lock_method(cmd)) != 0) {                       \
      struct call c;                                                     \
      int e = on_fd(fd, m, K_NONE, &c);                                  \
      if (e) return (int)fail(e);                                        \
    }                                                                    \
    return NEXT(name)(fd, cmd, arg);                                     \
  }
FCNTL(fcntl)
FCNTL(fcntl64)
SIMPLE(int, flock, (int fd, int op), (fd, op), on_fd(fd, BIT(M_SETLK), K_NONE, &c))
SIMPLE(int, lockf, (int fd, int cmd, off_t len), (fd, cmd, len), on_fd(fd, cmd == F_TEST ? BIT(M_GETLK) : BIT(M_SETLK), K_NONE, &c))
SIMPLE(int, lockf64, (int fd, int cmd, off64_t len), (fd, cmd, len), on_fd(fd, cmd == F_TEST ? BIT(M_GETLK) : BIT(M_SETLK), K_NONE, &c))

/* directories: opendir, readdir, releasedir */

SLOT(opendir)
DIR *opendir(const char *path) {
  if (!QUIET()) {
    struct call c;
    int e = on_path(path, BIT(M_OPENDIR), &c);
    if (e) return errno = e, (DIR *)NULL;
  }
  return NEXT(opendir)(path);
}

SLOT(fdopendir)
DIR *fdopendir(int fd) {
  if (!QUIET()) {
    struct call c;
    int e = on_fd(fd, BIT(M_OPENDIR), K_NONE, &c);
    if (e) return errno = e, (DIR *)NULL;
  }
  return NEXT(fdopendir)(fd);
}

static int on_readdir(DIR *d) {
  if (!opaque(d) || !readdir_turn(d)) return 0;
  struct call c;
  return on_fd(dirfd(d), BIT(M_READDIR), K_NONE, &c);
}

#define READDIR(name, ent_t)                                             \
  SLOT(name)                                                             \
  ent_t *name(DIR *d) {                                                  \
    if (!QUIET()) {                                                      \
      int e = on_readdir(d);                                             \
      if (e) return errno = e, (ent_t *)NULL;                            \
    }                                                                    \
    return NEXT(name)(d);                                                \
  }
READDIR(readdir, struct dirent)
READDIR(readdir64, struct dirent64)

static void *next_readdir_r, *next_readdir64_r;
int readdir_r(DIR *d, struct dirent *entry, struct dirent **result) {
  if (!QUIET()) {
    int e = on_readdir(d);
    if (e) return *result = NULL, e;
  }
  return ((int (*)(DIR *, struct dirent *, struct dirent **))next_fn(&next_readdir_r, "readdir_r"))(d, entry, result);
}
int readdir64_r(DIR *d, struct dirent64 *entry, struct dirent64 **result) {
  if (!QUIET()) {
    int e = on_readdir(d);
    if (e) return *result = NULL, e;
  }
  return ((int (*)(DIR *, struct dirent64 *, struct dirent64 **))next_fn(&next_readdir64_r, "readdir64_r"))(d, entry, result);
}

SLOT(rewinddir)
void rewinddir(DIR *d) {
  if (!QUIET() && opaque(d)) stream_forget(d);
  NEXT(rewinddir)(d);
}

SLOT(closedir)
int closedir(DIR *d) {
  if (QUIET() || !opaque(d)) return NEXT(closedir)(d);
  stream_forget(d);
  struct call c;
  int e = on_fd(dirfd(d), BIT(M_RELEASEDIR), K_NONE, &c);
  int r = NEXT(closedir)(d);
  return e && r == 0 ? (int)fail(e) : r;
}

/* scandir: an opendir, a readdir (once) and a releasedir of its own */
#define SCANDIR(name, ent_t)                                                                                       \
  SLOT(name)                                                                                                       \
  int name(const char *path, ent_t ***list, int (*sel)(const ent_t *), int (*cmp)(const ent_t **, const ent_t **)) { \
    if (!QUIET()) {                                                                                                \
      struct call c;                                                                                               \
      int e = on_path(path, BIT(M_OPENDIR), &c);                                                                   \
      if (!e) e = on_path(path, BIT(M_READDIR), &c);                                                               \
      if (e) return (int)fail(e);                                                                                  \
    }                                                                                                              \
    return NEXT(name)(path, list, sel, cmp);                                                                       \
  }
SCANDIR(scandir, struct dirent)
SCANDIR(scandir64, struct dirent64)
