/* chaoscope fault library: the control directory (see control.h). */
#define _GNU_SOURCE
#include "control.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define GEN_BYTES 4096
#define DIR_MAX 4096

static char fault_dir[DIR_MAX];
static volatile uint32_t *gen_map;
static const uint32_t no_gen[16];
static int init_state; /* 0 not yet, 1 in progress, 2 done */

static long raw_open(const char *path, int flags) { return syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, 0); }
static long raw_read(int fd, void *buf, size_t n) { return syscall(SYS_read, fd, buf, n); }
static void raw_close(int fd) { syscall(SYS_close, fd); }

/* Maps <dir>/gen once. Runs at load (constructor) and, if a call comes first, from cs_gen. */
static void cs_init(void) {
  if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) == 2) return;
  int expected = 0;
  if (!__atomic_compare_exchange_n(&init_state, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return; /* another thread: it sees no rules until done */
  const char *dir = getenv("CHAOSCOPE_FAULT_DIR");
  if (dir && *dir && strlen(dir) < DIR_MAX - 32) {
    strcpy(fault_dir, dir);
    char path[DIR_MAX];
    strcpy(path, fault_dir);
    strcat(path, "/gen");
    long fd = raw_open(path, O_RDONLY);
    if (fd >= 0) {
      void *m = (void *)syscall(SYS_mmap, NULL, GEN_BYTES, PROT_READ, MAP_SHARED, fd, 0);
      raw_close((int)fd);
      if (m != MAP_FAILED && (unsigned long)m < (unsigned long)-4096) gen_map = (volatile uint32_t *)m;
    }
  }
  __atomic_store_n(&init_state, 2, __ATOMIC_RELEASE);
}

__attribute__((constructor)) static void cs_constructor(void) { cs_init(); }

uint32_t cs_gen(enum cs_slot s) {
  volatile uint32_t *m = gen_map;
  if (__builtin_expect(m == NULL, 1)) {
    if (__atomic_load_n(&init_state, __ATOMIC_ACQUIRE) != 2) cs_init();
    m = gen_map;
    if (!m) return no_gen[0];
  }
  return __atomic_load_n(&m[s], __ATOMIC_ACQUIRE);
}

char *cs_read(const char *name, size_t *len) {
  cs_init();
  if (!fault_dir[0]) return NULL;
  char path[DIR_MAX + 64];
  size_t dl = strlen(fault_dir), nl = strlen(name);
  if (dl + 1 + nl + 1 > sizeof path) return NULL;
  memcpy(path, fault_dir, dl);
  path[dl] = '/';
  memcpy(path + dl + 1, name, nl + 1);
  long fd = raw_open(path, O_RDONLY);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      char *bigger = realloc(buf, cap * 2 + 1);
      if (!bigger) { free(buf); buf = NULL; break; }
      buf = bigger;
      cap *= 2;
    }
    long r = raw_read((int)fd, buf + n, cap - n);
    if (r < 0) { free(buf); buf = NULL; break; }
    if (r == 0) break;
    n += (size_t)r;
  }
  raw_close((int)fd);
  if (!buf) return NULL;
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

void *cs_next(const char *sym) { return dlsym(RTLD_NEXT, sym); }

static __thread int inside;

int cs_enter(void) {
  if (inside) return 0;
  inside = 1;
  return 1;
}

void cs_leave(void) { inside = 0; }

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int cs_field(const char *line, const char *key, char *buf, size_t cap) {
  size_t kl = strlen(key);
  const char *p = line;
  while (*p && *p != '\n') {
    while (*p == ' ' || *p == '\t') p++;
    const char *tok = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n') p++;
    if ((size_t)(p - tok) > kl && strncmp(tok, key, kl) == 0 && tok[kl] == '=') {
      size_t n = 0;
      for (const char *v = tok + kl + 1; v < p; v++) {
        char c = *v;
        if (c == '%' && v + 2 < p && hexval(v[1]) >= 0 && hexval(v[2]) >= 0) {
          c = (char)(hexval(v[1]) * 16 + hexval(v[2]));
          v += 2;
        }
        if (n + 1 >= cap) return -1;
        buf[n++] = c;
      }
      buf[n] = 0;
      return (int)n;
    }
  }
  return -1;
}

static __thread uint64_t rng_state;

uint64_t cs_random(void) {
  uint64_t x = rng_state;
  if (x == 0) {
    struct timespec ts;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    x = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)syscall(SYS_gettid) << 40) ^ (uint64_t)(uintptr_t)&rng_state;
    if (x == 0) x = 0x9e3779b97f4a7c15ULL;
  }
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}
