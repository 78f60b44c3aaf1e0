/*
 * chaoscope fault library: TimeChaos. Shifts the clocks a process reads, one offset per clock id, as Chaos Mesh
 * does by patching the vDSO's clock_gettime: a clock id without a rule reads the real clock.
 *
 * Rules (<dir>/clock.rules, slot CS_CLOCK), one per line, written by src/runtime/effects/time-offset.ts:
 *
 *   clock id=<0..15> offset_ns=<int64, may be negative>
 *
 * Several lines for one id add up. Unknown lines, and ids outside 0..15, are ignored.
 *
 * Interposed: clock_gettime (every listed id); gettimeofday, time, timespec_get(TIME_UTC) and ftime (they read
 * CLOCK_REALTIME, so they take its offset); clock_nanosleep with TIMER_ABSTIME on a shifted clock (the deadline
 * the program computed from its shifted clock is moved back to the real one, else a program would oversleep or
 * not sleep at all: Python's time.sleep waits on an absolute CLOCK_MONOTONIC deadline).
 *
 * With no rules (slot 0) each call is one load and a compare, then the real function.
 */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <time.h>
#include <unistd.h>

#define CLOCKS 16
#define NS 1000000000LL

struct clock_rules {
  uint32_t gen;
  int any;              /* some offset is not zero */
  int64_t off[CLOCKS];  /* nanoseconds, by clock id */
};

/* The rule set in force, published with a release store; a replaced set is never freed (a reader may hold it). */
static struct clock_rules *current;

static int64_t parse_int64(const char *s, int *ok) {
  int neg = 0;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  if (!*s) { *ok = 0; return 0; }
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') { *ok = 0; return 0; }
    uint64_t d = (uint64_t)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) { *ok = 0; return 0; }
    v = v * 10 + d;
  }
  if (v > (uint64_t)INT64_MAX + (neg ? 1u : 0u)) { *ok = 0; return 0; }
  *ok = 1;
  return neg ? (int64_t)(0 - v) : (int64_t)v;
}

/* Saturating: offsets of several rules add up, and never wrap around. */
static int64_t add_sat(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? INT64_MAX : INT64_MIN;
  return r;
}

static struct clock_rules *parse(uint32_t gen) {
  struct clock_rules *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->gen = gen;
  char *text = cs_read("clock.rules", NULL);
  if (!text) return r;
  for (char *line = text; line && *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    char id[8], off[32];
    int ok = 0;
    if (strncmp(line, "clock ", 6) == 0 && cs_field(line, "id", id, sizeof id) > 0 && cs_field(line, "offset_ns", off, sizeof off) > 0) {
      int64_t i = parse_int64(id, &ok);
      if (ok && i >= 0 && i < CLOCKS) {
        int64_t o = parse_int64(off, &ok);
        if (ok) r->off[i] = add_sat(r->off[i], o);
      }
    }
    line = end ? end + 1 : NULL;
  }
  free(text);
  for (int i = 0; i < CLOCKS; i++) r->any |= r->off[i] != 0;
  return r;
}

/*
 * The rules of generation `gen` (not 0). Parsed at most once per generation and thread race: threads that see a new
 * generation at once may each parse it; the last to publish wins, and any later mismatch parses again. Inside
 * another call of the shim on this thread (a signal handler, or another fault's code), the set in force is used
 * as it is.
 */
static const struct clock_rules *rules(uint32_t gen) {
  struct clock_rules *r = __atomic_load_n(&current, __ATOMIC_ACQUIRE);
  if (r && r->gen == gen) return r;
  if (!cs_enter()) return r;
  struct clock_rules *fresh = parse(gen);
  cs_leave();
  if (!fresh) return r;
  __atomic_store_n(&current, fresh, __ATOMIC_RELEASE);
  return fresh;
}

/* The offset of a clock id under the rules of generation `gen` (not 0). */
static int64_t offset_in(uint32_t gen, clockid_t id) {
  if ((unsigned)id >= CLOCKS) return 0;
  const struct clock_rules *r = rules(gen);
  return r ? r->off[id] : 0;
}

static void shift(struct timespec *ts, int64_t off) {
  int64_t sec = off / NS, nsec = off % NS;
  int64_t s = add_sat((int64_t)ts->tv_sec, sec);
  nsec += ts->tv_nsec;
  if (nsec >= NS) { nsec -= NS; s = add_sat(s, 1); }
  else if (nsec < 0) { nsec += NS; s = add_sat(s, -1); }
  ts->tv_sec = (time_t)s;
  ts->tv_nsec = (long)nsec;
}

/* ---- the real functions ---- */

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*timespec_get_fn)(struct timespec *, int);
typedef int (*ftime_fn)(struct timeb *);
typedef int (*clock_nanosleep_fn)(clockid_t, int, const struct timespec *, struct timespec *);

static int raw_clock_gettime(clockid_t id, struct timespec *ts) {
  long r = syscall(SYS_clock_gettime, id, ts);
  return r == 0 ? 0 : -1;
}

static clock_gettime_fn real_clock_gettime_ptr;

static inline clock_gettime_fn real_clock_gettime(void) {
  clock_gettime_fn f = __atomic_load_n(&real_clock_gettime_ptr, __ATOMIC_RELAXED);
  if (__builtin_expect(f == NULL, 0)) {
    f = (clock_gettime_fn)cs_next("clock_gettime");
    if (!f) f = raw_clock_gettime;
    __atomic_store_n(&real_clock_gettime_ptr, f, __ATOMIC_RELAXED);
  }
  return f;
}

#define REAL(type, name)                                                  \
  static type real_##name(void) {                                         \
    static type f;                                                        \
    type g = __atomic_load_n(&f, __ATOMIC_RELAXED);                       \
    if (__builtin_expect(g == NULL, 0)) {                                 \
      g = (type)cs_next(#name);                                           \
      __atomic_store_n(&f, g, __ATOMIC_RELAXED);                          \
    }                                                                     \
    return g;                                                             \
  }

REAL(gettimeofday_fn, gettimeofday)
REAL(time_fn, time)
REAL(timespec_get_fn, timespec_get)
REAL(ftime_fn, ftime)
REAL(clock_nanosleep_fn, clock_nanosleep)

/* CLOCK_REALTIME read with its offset (for the calls that derive from it). */
static int shifted_realtime(struct timespec *ts, int64_t off) {
  if (real_clock_gettime()(CLOCK_REALTIME, ts) != 0) return -1;
  shift(ts, off);
  return 0;
}

/* ---- interposed ----
 * Each call reads the clock slot's generation: 0 (no rules) goes straight to the real function, and only then is
 * anything else done (in a function of its own, kept out of the fast path).
 */

#define COLD __attribute__((noinline, cold))

static COLD int clock_gettime_slow(uint32_t gen, clockid_t id, struct timespec *ts) {
  int64_t off = offset_in(gen, id);
  int r = real_clock_gettime()(id, ts);
  if (off != 0 && r == 0) shift(ts, off);
  return r;
}

int clock_gettime(clockid_t id, struct timespec *ts) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) return real_clock_gettime()(id, ts);
  return clock_gettime_slow(gen, id, ts);
}

static COLD int gettimeofday_slow(uint32_t gen, struct timeval *tv, void *tz) {
  int64_t off = offset_in(gen, CLOCK_REALTIME);
  gettimeofday_fn real = real_gettimeofday();
  if (off == 0 && real) return real(tv, tz);
  if (tz && real && real(NULL, tz) != 0) return -1;
  __asm__("" : "+r"(tv)); /* declared nonnull, yet gettimeofday(NULL, tz) is allowed: keep the test */
  if (!tv) return 0;
  struct timespec ts;
  if (shifted_realtime(&ts, off) != 0) return -1;
  tv->tv_sec = ts.tv_sec;
  tv->tv_usec = ts.tv_nsec / 1000;
  return 0;
}

int gettimeofday(struct timeval *tv, void *tz) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) {
    gettimeofday_fn real = real_gettimeofday();
    if (__builtin_expect(real != NULL, 1)) return real(tv, tz);
  }
  return gettimeofday_slow(gen, tv, tz);
}

static COLD time_t time_slow(uint32_t gen, time_t *t) {
  int64_t off = gen ? offset_in(gen, CLOCK_REALTIME) : 0;
  time_fn real = real_time();
  if (off == 0 && real) return real(t);
  struct timespec ts;
  if (shifted_realtime(&ts, off) != 0) return (time_t)-1;
  if (t) *t = ts.tv_sec;
  return ts.tv_sec;
}

time_t time(time_t *t) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) {
    time_fn real = real_time();
    if (__builtin_expect(real != NULL, 1)) return real(t);
  }
  return time_slow(gen, t);
}

static COLD int timespec_get_slow(uint32_t gen, struct timespec *ts, int base) {
  int64_t off = gen && base == TIME_UTC ? offset_in(gen, CLOCK_REALTIME) : 0;
  timespec_get_fn real = real_timespec_get();
  if (off == 0 && real) return real(ts, base);
  if (base != TIME_UTC) return 0;
  if (shifted_realtime(ts, off) != 0) return 0;
  return base;
}

int timespec_get(struct timespec *ts, int base) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) {
    timespec_get_fn real = real_timespec_get();
    if (__builtin_expect(real != NULL, 1)) return real(ts, base);
  }
  return timespec_get_slow(gen, ts, base);
}

static COLD int ftime_slow(uint32_t gen, struct timeb *tb) {
  int64_t off = gen ? offset_in(gen, CLOCK_REALTIME) : 0;
  ftime_fn real = real_ftime();
  if (off == 0 && real) return real(tb);
  struct timespec ts;
  if (shifted_realtime(&ts, off) != 0) return -1;
  tb->time = ts.tv_sec;
  tb->millitm = (unsigned short)(ts.tv_nsec / 1000000);
  tb->timezone = 0;
  tb->dstflag = 0;
  return 0;
}

int ftime(struct timeb *tb) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) {
    ftime_fn real = real_ftime();
    if (__builtin_expect(real != NULL, 1)) return real(tb);
  }
  return ftime_slow(gen, tb);
}

static COLD int clock_nanosleep_slow(uint32_t gen, clockid_t id, int flags, const struct timespec *req, struct timespec *rem) {
  int64_t off = gen && (flags & TIMER_ABSTIME) ? offset_in(gen, id) : 0;
  clock_nanosleep_fn real = real_clock_nanosleep();
  if (!real) return ENOSYS;
  if (off == 0 || !req) return real(id, flags, req, rem);
  struct timespec deadline = *req; /* in the program's shifted time: back to the clock the kernel keeps */
  shift(&deadline, off == INT64_MIN ? INT64_MAX : -off);
  return real(id, flags, &deadline, rem);
}

int clock_nanosleep(clockid_t id, int flags, const struct timespec *req, struct timespec *rem) {
  uint32_t gen = cs_gen(CS_CLOCK);
  if (__builtin_expect(gen == 0, 1)) {
    clock_nanosleep_fn real = real_clock_nanosleep();
    if (__builtin_expect(real != NULL, 1)) return real(id, flags, req, rem);
  }
  return clock_nanosleep_slow(gen, id, flags, req, rem);
}
