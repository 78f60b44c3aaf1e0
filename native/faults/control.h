/*
 * chaoscope fault library: the shared control part. The runtime preloads this library into a pod
 * (LD_PRELOAD) and gives it a control directory in $CHAOSCOPE_FAULT_DIR:
 *
 *   gen          4096 bytes, mapped read-only: uint32 slots [0] io, [1] dns, [2] clock, each the generation of
 *                that kind's rules; 0 means no rules (the interposed calls pass straight through); slots
 *                [8] [9] [10] hold the last generation each kind used (a generation is never reused)
 *   io.rules     text rules of each kind, one per line (format: the kind's own file), rewritten by the
 *   dns.rules    runtime as tmp + rename before it stores the slot's new generation
 *   clock.rules
 *   hosts        "<ipv4> <name>..." lines: the pod's dependencies by name (written once, before the pod starts)
 *   dns.hits     4096 bytes, mapped read-write by dns.c: one uint64 per DNS rule slot, the lookups each changed
 *                (created by src/runtime/effects/dns-fault.ts; read back as evidence)
 *
 * Each kind (io.c, dns.c, clock.c) keeps its parsed rules behind an atomically published pointer and reloads
 * them when cs_gen() differs from the generation it parsed.
 */
#ifndef CHAOSCOPE_CONTROL_H
#define CHAOSCOPE_CONTROL_H
#include <stddef.h>
#include <stdint.h>

enum cs_slot { CS_IO = 0, CS_DNS = 1, CS_CLOCK = 2 };

/* Not exported from the library: only the interposed libc names are. */
#define CS_HIDDEN __attribute__((visibility("hidden")))

/* The current generation of a slot: 0 = no rules, or no control directory. One relaxed load. */
CS_HIDDEN uint32_t cs_gen(enum cs_slot s);
/* <dir>/<name> whole, read with raw syscalls (never through interposed calls): malloc'd and NUL-terminated,
 * its length in *len when len is not NULL; NULL when absent (or no control directory). */
CS_HIDDEN char *cs_read(const char *name, size_t *len);
/* dlsym(RTLD_NEXT, sym): the function our interposer stands in front of. */
CS_HIDDEN void *cs_next(const char *sym);
/* Per-thread re-entrancy guard: 0 when the shim is already inside one of its calls on this thread (pass
 * through then), else 1; every 1 must be paired with cs_leave(). */
CS_HIDDEN int cs_enter(void);
CS_HIDDEN void cs_leave(void);
/* The value of key=value in a rule line of space-separated tokens, %XX-decoded into buf (NUL-terminated):
 * its length, or -1 when the key is absent or the value does not fit. */
CS_HIDDEN int cs_field(const char *line, const char *key, char *buf, size_t cap);
/* A fast per-thread pseudo-random number (xorshift64*, seeded per thread): for percent draws and fillings. */
CS_HIDDEN uint64_t cs_random(void);

#endif
