/*
 * chaoscope fault library: name resolution (DNSChaos, and the pod's dependencies by name).
 *
 * Interposes getaddrinfo, gethostbyname, gethostbyname2, gethostbyname_r and gethostbyname2_r. A name resolves
 * as it would in a Kubernetes pod whose DNS server is Chaos Mesh's (CoreDNS with the k8s_dns_chaos plugin):
 *
 *   name ──▶ in /etc/hosts? ──yes──▶ the real function (files come before DNS, and DNSChaos never sees them)
 *              │ no
 *              ▼
 *   the queries a pod's resolver would send (resolv.conf: search <ns>.svc.cluster.local svc.cluster.local
 *   cluster.local, ndots:5), in glibc's order; for each query name:
 *     a rule matches   ─▶ error: SERVFAIL (the search goes on) | random: an address in 127.0.0.0/8
 *     *.cluster.local. ─▶ the pod's `hosts` table (its dependencies → 127.0.0.1), else NXDOMAIN
 *     any other name   ─▶ the real function (upstream DNS)
 *   no answer: TRY_AGAIN (EAI_AGAIN) when a query got SERVFAIL, else the last query's error
 *
 * Without DNS rules (slot CS_DNS is 0) this is one load and a compare, then a look in the pod's hosts table
 * (read once: it never changes) and the real function for every other name.
 *
 * dns.rules, written by src/runtime/effects/dns-fault.ts, one directive per line:
 *   ns=<pod namespace>
 *   rule id=<effect id> slot=<n> action=error|random [patterns=<p>,<p>...]   (no patterns: every name)
 * The last rule that matches a name decides (the latest DNSChaos applied). Patterns match as Chaos Mesh's do:
 * byte for byte against the query name with its final dot, "?" one character, "*" (last only) any tail; a
 * pattern without "*" also matches with a final "." added. Each lookup a rule changes adds one to the uint64 at
 * <slot> of dns.hits (mapped shared, read-write), which the runtime reads as evidence.
 */
#define _GNU_SOURCE
#include "control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NAME_MAX_LEN 253
#define QNAME_CAP 512
#define HITS_BYTES 4096
#define HITS_SLOTS (HITS_BYTES / 8)
#define CLUSTER_SUFFIX ".cluster.local"

/* ---- tables read once: the pod's hosts, and the names of /etc/hosts ---- */

struct host {
  char *name;        /* lowercase */
  const char *canon; /* the first name of its line (the service's full name) */
  struct in_addr addr;
};

static struct host *hosts;
static size_t nhosts;
static char **etc_names; /* lowercase */
static size_t netc;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void lower(char *s) {
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a');
}

/* /etc/hosts whole, by raw syscalls (never through interposed calls). */
static char *read_etc_hosts(void) {
  long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hosts", O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return NULL;
  size_t cap = 8192, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      if (cap >= (1u << 22)) break; /* 4 MiB of hosts is enough */
      char *bigger = realloc(buf, cap * 2 + 1);
      if (!bigger) { free(buf); buf = NULL; break; }
      buf = bigger;
      cap *= 2;
    }
    long r = syscall(SYS_read, (int)fd, buf + n, cap - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  syscall(SYS_close, (int)fd);
  if (buf) buf[n] = 0;
  return buf;
}

/* Splits hosts-format text in place: calls fn(address, names, count) per line. */
static void each_hosts_line(char *text, void (*fn)(const char *addr, char **names, size_t n)) {
  char *save = NULL;
  for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    if (hash) *hash = 0;
    char *words[64];
    size_t n = 0;
    char *ws = NULL;
    for (char *w = strtok_r(line, " \t\r", &ws); w && n < 64; w = strtok_r(NULL, " \t\r", &ws)) words[n++] = w;
    if (n >= 2) fn(words[0], words + 1, n - 1);
  }
}

static size_t hosts_cap, etc_cap;

static void add_pod_hosts(const char *addr, char **names, size_t n) {
  struct in_addr a;
  if (inet_pton(AF_INET, addr, &a) != 1) return; /* the runtime gives IPv4 loopback addresses */
  char *canon = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strlen(names[i]) > NAME_MAX_LEN) continue;
    if (nhosts == hosts_cap) {
      size_t cap = hosts_cap ? hosts_cap * 2 : 16;
      struct host *bigger = realloc(hosts, cap * sizeof *hosts);
      if (!bigger) return;
      hosts = bigger;
      hosts_cap = cap;
    }
    char *name = strdup(names[i]);
    if (!name) return;
    lower(name);
    if (!canon) canon = name;
    hosts[nhosts++] = (struct host){ name, canon, a };
  }
}

static void add_etc_hosts(const char *addr, char **names, size_t n) {
  (void)addr;
  for (size_t i = 0; i < n; i++) {
    if (netc == etc_cap) {
      size_t cap = etc_cap ? etc_cap * 2 : 16;
      char **bigger = realloc(etc_names, cap * sizeof *etc_names);
      if (!bigger) return;
      etc_names = bigger;
      etc_cap = cap;
    }
    char *name = strdup(names[i]);
    if (!name) return;
    lower(name);
    etc_names[netc++] = name;
  }
}

static void load_tables(void) {
  char *text = cs_read("hosts", NULL);
  if (text) {
    each_hosts_line(text, add_pod_hosts);
    free(text);
  }
  text = read_etc_hosts();
  if (text) {
    each_hosts_line(text, add_etc_hosts);
    free(text);
  }
}

/* `name` (len bytes, any case) in the pod's hosts table. */
static const struct host *pod_host(const char *name, size_t len) {
  for (size_t i = 0; i < nhosts; i++)
    if (strlen(hosts[i].name) == len && strncasecmp(hosts[i].name, name, len) == 0) return &hosts[i];
  return NULL;
}

static int in_etc_hosts(const char *name, size_t len) {
  for (size_t i = 0; i < netc; i++)
    if (strlen(etc_names[i]) == len && strncasecmp(etc_names[i], name, len) == 0) return 1;
  return 0;
}

/* ---- the rules: parsed per generation, published behind an atomic pointer, never freed ---- */

struct rule {
  int random;
  char *patterns; /* "p1,p2,..."; NULL: every name */
  int slot;       /* in dns.hits; -1: none */
};

struct ruleset {
  uint32_t gen;
  char ns[64];
  size_t n;
  struct rule r[];
};

static struct ruleset *published;
static pthread_mutex_t rules_lock = PTHREAD_MUTEX_INITIALIZER;

/* A child forked while another thread held the lock would wait on it forever: it starts with it free. */
static void dns_child_after_fork(void) {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  rules_lock = fresh;
}

__attribute__((constructor)) static void dns_atfork(void) { pthread_atfork(NULL, NULL, dns_child_after_fork); }
static volatile uint64_t *hits;

static void map_hits(void) {
  const char *dir = getenv("CHAOSCOPE_FAULT_DIR");
  if (!dir || strlen(dir) > 4000) return;
  char path[4096 + 16];
  strcpy(path, dir);
  strcat(path, "/dns.hits");
  long fd = syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) return;
  void *m = (void *)syscall(SYS_mmap, NULL, HITS_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  syscall(SYS_close, (int)fd);
  if ((unsigned long)m < (unsigned long)-4096) hits = (volatile uint64_t *)m;
}

static struct ruleset *parse_rules(uint32_t gen) {
  size_t len = 0;
  char *text = cs_read("dns.rules", &len);
  size_t lines = 1;
  for (size_t i = 0; text && i < len; i++) lines += text[i] == '\n';
  struct ruleset *rs = calloc(1, sizeof *rs + lines * sizeof(struct rule));
  if (!rs) { free(text); return NULL; }
  rs->gen = gen;
  strcpy(rs->ns, "default");
  char *value = malloc(len + 1);
  for (char *line = text; value && line && *line;) {
    char *end = strchr(line, '\n');
    if (end) *end = 0;
    if (strncmp(line, "ns=", 3) == 0) {
      if (cs_field(line, "ns", value, sizeof rs->ns) > 0) strcpy(rs->ns, value);
    } else if (strncmp(line, "rule ", 5) == 0 && cs_field(line, "action", value, len + 1) > 0) {
      struct rule *r = &rs->r[rs->n];
      r->random = strcmp(value, "random") == 0;
      if (r->random || strcmp(value, "error") == 0) {
        r->patterns = cs_field(line, "patterns", value, len + 1) > 0 ? strdup(value) : NULL;
        r->slot = cs_field(line, "slot", value, len + 1) > 0 ? atoi(value) : -1;
        if (r->slot >= HITS_SLOTS) r->slot = -1;
        rs->n++;
      }
    }
    line = end ? end + 1 : NULL;
  }
  free(value);
  free(text);
  if (!hits) map_hits();
  return rs;
}

/* The rules in force, or NULL when there are none. */
static const struct ruleset *rules_now(void) {
  uint32_t gen = cs_gen(CS_DNS);
  if (__builtin_expect(gen == 0, 1)) return NULL;
  struct ruleset *rs = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
  if (!rs || rs->gen != gen) {
    pthread_mutex_lock(&rules_lock);
    rs = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
    if (!rs || rs->gen != gen) {
      struct ruleset *next = parse_rules(gen);
      if (next) __atomic_store_n(&published, next, __ATOMIC_RELEASE); /* the old set may still be read: kept */
      rs = next;
    }
    pthread_mutex_unlock(&rules_lock);
  }
  return rs && rs->n > 0 ? rs : NULL;
}

/* Chaos Mesh's trie selector on one pattern [p, pe): "*" any tail, "?" one byte, else the same byte. */
static int glob(const char *p, const char *pe, const char *s) {
  int star = 0;
  for (const char *q = p; q < pe; q++) star |= *q == '*';
  for (; p < pe; p++, s++) {
    if (*p == '*') return 1;
    if (*s == 0) return 0;
    if (*p != '?' && *p != *s) return 0;
  }
  /* a pattern without "*" is also inserted with a final "." (query names always end with one) */
  return *s == 0 || (!star && s[0] == '.' && s[1] == 0);
}

/* The last rule matching the query name (it ends with "."), or NULL. */
static const struct rule *match(const struct ruleset *rs, const char *qname) {
  for (size_t i = rs->n; i-- > 0;) {
    const struct rule *r = &rs->r[i];
    if (!r->patterns) return r;
    for (const char *p = r->patterns; *p;) {
      const char *pe = strchr(p, ',');
      if (!pe) pe = p + strlen(p);
      if (pe > p && glob(p, pe, qname)) return r;
      p = *pe ? pe + 1 : pe;
    }
  }
  return NULL;
}

/* ---- resolving one name ---- */

enum { OUT_PASS, OUT_ADDR, OUT_FAIL, OUT_REAL };

struct outcome {
  int kind;            /* PASS: call the real function; ADDR: answer addr; FAIL: h_errno herr; REAL: done by try_real */
  struct in_addr addr;
  char canon[QNAME_CAP];
  int herr;            /* HOST_NOT_FOUND, TRY_AGAIN, or OUT_REAL_ERR: the real function's own error stands */
};

#define OUT_REAL_ERR (-1)

/* Tries the real function on the name as given: 0 when it found addresses, else an h_errno (or OUT_REAL_ERR). */
typedef int (*try_real_fn)(void *ctx);

static int ends_with_cluster(const char *name, size_t len) {
  size_t sl = sizeof CLUSTER_SUFFIX - 1;
  return len >= sl && strncasecmp(name + len - sl, CLUSTER_SUFFIX, sl) == 0;
}

static int count_dots(const char *s, size_t len) {
  int n = 0;
  for (size_t i = 0; i < len; i++) n += s[i] == '.';
  return n;
}

static int numeric(const char *name) {
  struct in_addr a;
  return strchr(name, ':') != NULL || inet_aton(name, &a) != 0;
}

/*
 * One query of the pod's resolver: rule, cluster table or upstream. Returns OUT_ADDR, OUT_REAL (the real function
 * answered), or OUT_FAIL with herr (TRY_AGAIN for SERVFAIL, HOST_NOT_FOUND for NXDOMAIN, or the real one's).
 */
static int query(const struct ruleset *rs, const char *qname, size_t qlen, struct outcome *o, const struct rule **hit, try_real_fn try_real, void *ctx) {
  const struct rule *r = match(rs, qname);
  if (r) {
    if (!*hit) *hit = r;
    if (!r->random) {
      o->herr = TRY_AGAIN;
      return OUT_FAIL;
    }
    uint32_t host;
    do host = (uint32_t)(cs_random() & 0xffffff);
    while (host == 0 || host == 1 || host == 0xffffff); /* not 127.0.0.1 (nor the network or broadcast address) */
    o->addr.s_addr = htonl(0x7f000000u | host);
    memcpy(o->canon, qname, qlen - 1);
    o->canon[qlen - 1] = 0;
    return OUT_ADDR;
  }
  if (ends_with_cluster(qname, qlen - 1)) {
    const struct host *h = pod_host(qname, qlen - 1);
    if (!h) {
      o->herr = HOST_NOT_FOUND;
      return OUT_FAIL;
    }
    o->addr = h->addr;
    memcpy(o->canon, qname, qlen - 1);
    o->canon[qlen - 1] = 0;
    return OUT_ADDR;
  }
  cs_leave(); /* the real resolver's own calls may meet other faults (IO, time) */
  int err = try_real(ctx);
  cs_enter();
  if (err == 0) return OUT_REAL;
  o->herr = err;
  return OUT_FAIL;
}

/* What `name` resolves to in this pod. Called inside cs_enter(). */
static void resolve(const char *name, struct outcome *o, try_real_fn try_real, void *ctx) {
  o->kind = OUT_PASS;
  size_t len = strlen(name);
  if (len == 0 || len > NAME_MAX_LEN + 1 || numeric(name)) return;
  pthread_once(&tables_once, load_tables);
  int trailing = name[len - 1] == '.';
  size_t base = len - (size_t)trailing; /* the name without its final dot */
  if (base == 0) return;
  const struct ruleset *rs = rules_now();

  if (!rs) {
    if (nhosts == 0 || (trailing && !ends_with_cluster(name, base))) return;
    const struct host *h = pod_host(name, base);
    if (!h || in_etc_hosts(name, base)) return;
    o->kind = OUT_ADDR;
    o->addr = h->addr;
    strcpy(o->canon, h->canon);
    return;
  }
  if (in_etc_hosts(name, base)) return;

  /* glibc's res_search over a Kubernetes pod's resolv.conf */
  const char *suffixes[3];
  char first[96];
  memcpy(first, rs->ns, strlen(rs->ns));
  strcpy(first + strlen(rs->ns), ".svc" CLUSTER_SUFFIX);
  suffixes[0] = first;
  suffixes[1] = "svc" CLUSTER_SUFFIX;
  suffixes[2] = CLUSTER_SUFFIX + 1;
  char qname[QNAME_CAP];
  const struct rule *hit = NULL;
  int saved = 0, got_servfail = 0, last = HOST_NOT_FOUND, kind = OUT_FAIL;
  int as_is_first = trailing || count_dots(name, base) >= 5;

  memcpy(qname, name, base);
  qname[base] = '.';
  qname[base + 1] = 0;
  if (as_is_first) {
    kind = query(rs, qname, base + 1, o, &hit, try_real, ctx);
    if (kind != OUT_FAIL || trailing) goto done;
    saved = o->herr;
  }
  for (int i = 0; i < 3; i++) {
    size_t sl = strlen(suffixes[i]);
    if (base + 1 + sl + 1 >= sizeof qname) continue;
    memcpy(qname, name, base);
    qname[base] = '.';
    memcpy(qname + base + 1, suffixes[i], sl);
    qname[base + 1 + sl] = '.';
    qname[base + 2 + sl] = 0;
    kind = query(rs, qname, base + 2 + sl, o, &hit, try_real, ctx);
    if (kind != OUT_FAIL) goto done;
    if (o->herr == TRY_AGAIN) got_servfail = 1;
    else if (o->herr != HOST_NOT_FOUND) break; /* anything but NXDOMAIN ends the search */
    last = o->herr;
  }
  if (!as_is_first) {
    memcpy(qname, name, base);
    qname[base] = '.';
    qname[base + 1] = 0;
    kind = query(rs, qname, base + 1, o, &hit, try_real, ctx);
    if (kind != OUT_FAIL) goto done;
    if (o->herr == TRY_AGAIN) got_servfail = 1;
    last = o->herr;
  }
  o->herr = saved ? saved : got_servfail ? TRY_AGAIN : last;
  kind = OUT_FAIL;
done:
  o->kind = kind;
  if (hit && hit->slot >= 0 && hits) __atomic_fetch_add(&hits[hit->slot], 1, __ATOMIC_RELAXED);
}

/* ---- getaddrinfo ---- */

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

static gai_fn real_gai(void) {
  static gai_fn fn;
  if (!fn) fn = (gai_fn)cs_next("getaddrinfo");
  return fn;
}

struct gai_call {
  const char *node, *service;
  const struct addrinfo *hints;
  struct addrinfo **res;
  int rc;
};

static int gai_try_real(void *ctx) {
  struct gai_call *c = ctx;
  c->rc = real_gai()(c->node, c->service, c->hints, c->res);
  if (c->rc == 0) return 0;
  if (c->rc == EAI_AGAIN) return TRY_AGAIN;
  if (c->rc == EAI_NONAME) return HOST_NOT_FOUND;
  return OUT_REAL_ERR;
}

/* An answer of one IPv4 address, built by the real function from its numeric form (so freeaddrinfo frees it). */
static int gai_answer(struct in_addr addr, const char *canon, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
  struct addrinfo h = { 0 };
  if (hints) h = *hints;
  char text[INET6_ADDRSTRLEN + 8];
  if (h.ai_family == AF_INET6) {
    if (!(h.ai_flags & AI_V4MAPPED)) return EAI_NONAME; /* no AAAA record (as glibc says for an IPv4-only name) */
    strcpy(text, "::ffff:");
    inet_ntop(AF_INET, &addr, text + 7, sizeof text - 7);
  } else {
    inet_ntop(AF_INET, &addr, text, sizeof text);
  }
  int want_canon = (h.ai_flags & AI_CANONNAME) != 0;
  h.ai_flags = (h.ai_flags | AI_NUMERICHOST) & ~(AI_CANONNAME | AI_V4MAPPED | AI_ALL);
  h.ai_canonname = NULL;
  h.ai_addr = NULL;
  h.ai_next = NULL;
  int rc = real_gai()(text, service, &h, res);
  if (rc == 0 && want_canon) {
    char *name = strdup(canon);
    if (!name) {
      freeaddrinfo(*res);
      *res = NULL;
      return EAI_MEMORY;
    }
    (*res)->ai_canonname = name; /* glibc's freeaddrinfo frees ai_canonname with free() */
  }
  return rc;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res) {
  if (!real_gai()) return EAI_SYSTEM;
  if (!node || (hints && (hints->ai_flags & AI_NUMERICHOST)) || !cs_enter()) return real_gai()(node, service, hints, res);
  struct gai_call call = { node, service, hints, res, EAI_NONAME };
  struct outcome o;
  resolve(node, &o, gai_try_real, &call);
  cs_leave();
  switch (o.kind) {
  case OUT_ADDR: return gai_answer(o.addr, o.canon, service, hints, res);
  case OUT_REAL: return 0;
  case OUT_FAIL: return o.herr == OUT_REAL_ERR ? call.rc : o.herr == TRY_AGAIN ? EAI_AGAIN : EAI_NONAME;
  default: return real_gai()(node, service, hints, res);
  }
}

/* ---- gethostbyname and friends ---- */

typedef int (*ghbn2r_fn)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *);
typedef int (*ghbnr_fn)(const char *, struct hostent *, char *, size_t, struct hostent **, int *);
typedef struct hostent *(*ghbn_fn)(const char *);
typedef struct hostent *(*ghbn2_fn)(const char *, int);

#define NEXT(type, sym)                     \
  static type fn;                           \
  if (!fn) fn = (type)cs_next(sym);         \
  return fn

static ghbn2r_fn real_ghbn2r(void) { NEXT(ghbn2r_fn, "gethostbyname2_r"); }
static ghbnr_fn real_ghbnr(void) { NEXT(ghbnr_fn, "gethostbyname_r"); }
static ghbn_fn real_ghbn(void) { NEXT(ghbn_fn, "gethostbyname"); }
static ghbn2_fn real_ghbn2(void) { NEXT(ghbn2_fn, "gethostbyname2"); }

/* One hostent lookup, whichever entry point: the real call is made by `call`. */
struct hb_call {
  int which; /* 0 gethostbyname_r, 1 gethostbyname2_r, 2 gethostbyname, 3 gethostbyname2 */
  const char *name;
  int af;
  struct hostent *ret;
  char *buf;
  size_t buflen;
  struct hostent **result;
  int *h_errnop;
  int rc;                 /* the _r functions' return value */
  struct hostent *static_result;
};

static int hb_real(struct hb_call *c) {
  switch (c->which) {
  case 0:
  case 1:
    *c->result = NULL;
    if (c->which == 0) c->rc = real_ghbnr() ? real_ghbnr()(c->name, c->ret, c->buf, c->buflen, c->result, c->h_errnop) : ENOSYS;
    else c->rc = real_ghbn2r() ? real_ghbn2r()(c->name, c->af, c->ret, c->buf, c->buflen, c->result, c->h_errnop) : ENOSYS;
    if (c->rc == ENOSYS && !*c->result) *c->h_errnop = NO_RECOVERY;
    return c->rc == 0 && *c->result ? 0 : *c->h_errnop;
  case 2:
    c->static_result = real_ghbn() ? real_ghbn()(c->name) : NULL;
    return c->static_result ? 0 : h_errno;
  default:
    c->static_result = real_ghbn2() ? real_ghbn2()(c->name, c->af) : NULL;
    return c->static_result ? 0 : h_errno;
  }
}

static int hb_try_real(void *ctx) {
  int e = hb_real(ctx);
  return e == 0 || e == TRY_AGAIN || e == HOST_NOT_FOUND ? e : OUT_REAL_ERR;
}

/* Lays out a hostent of one IPv4 address in buf: ERANGE when it does not fit. */
static int fill_hostent(struct in_addr addr, const char *canon, struct hostent *ret, char *buf, size_t buflen) {
  size_t nl = strlen(canon) + 1;
  uintptr_t start = (uintptr_t)buf, p = (start + sizeof(char *) - 1) & ~(uintptr_t)(sizeof(char *) - 1);
  size_t need = (p - start) + 3 * sizeof(char *) + sizeof addr + nl;
  if (need > buflen) return ERANGE;
  char **aliases = (char **)p;
  char **list = aliases + 1;
  char *a = (char *)(list + 2);
  char *n = a + sizeof addr;
  aliases[0] = NULL;
  memcpy(a, &addr, sizeof addr);
  list[0] = a;
  list[1] = NULL;
  memcpy(n, canon, nl);
  *ret = (struct hostent){ .h_name = n, .h_aliases = aliases, .h_addrtype = AF_INET, .h_length = sizeof addr, .h_addr_list = list };
  return 0;
}

/* The answer in the caller's terms: for the _r calls their return value, for the others the hostent or NULL. */
static int hb_lookup(struct hb_call *c) {
  if (!cs_enter()) return hb_real(c) == 0 ? 0 : -1;
  struct outcome o;
  resolve(c->name, &o, hb_try_real, c);
  cs_leave();
  if (o.kind == OUT_PASS) return hb_real(c) == 0 ? 0 : -1;
  if (o.kind == OUT_REAL) return 0;
  int herr = o.kind == OUT_ADDR ? (c->af == AF_INET ? 0 : NO_DATA) : o.herr;
  if (herr == OUT_REAL_ERR) return -1; /* the real call's own outputs stand */
  if (herr == 0) {
    if (c->which >= 2) {
      static char sbuf[1024];
      static struct hostent shost;
      c->ret = &shost;
      c->buf = sbuf;
      c->buflen = sizeof sbuf;
    }
    int e = fill_hostent(o.addr, o.canon, c->ret, c->buf, c->buflen);
    if (e == 0) {
      if (c->which < 2) {
        *c->result = c->ret;
        *c->h_errnop = 0;
        c->rc = 0;
      } else {
        c->static_result = c->ret;
      }
      return 0;
    }
    if (c->which < 2) {
      *c->result = NULL;
      *c->h_errnop = NETDB_INTERNAL;
      c->rc = e;
      return -1;
    }
    herr = NO_RECOVERY;
  }
  if (c->which < 2) {
    *c->result = NULL;
    *c->h_errnop = herr;
    c->rc = herr == TRY_AGAIN ? EAGAIN : 0;
  } else {
    c->static_result = NULL;
    h_errno = herr;
  }
  return -1;
}

int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen, struct hostent **result, int *h_errnop) {
  struct hb_call c = { 0, name, AF_INET, ret, buf, buflen, result, h_errnop, 0, NULL };
  hb_lookup(&c);
  return c.rc;
}

int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t buflen, struct hostent **result, int *h_errnop) {
  struct hb_call c = { 1, name, af, ret, buf, buflen, result, h_errnop, 0, NULL };
  hb_lookup(&c);
  return c.rc;
}

struct hostent *gethostbyname(const char *name) {
  struct hb_call c = { 2, name, AF_INET, NULL, NULL, 0, NULL, NULL, 0, NULL };
  hb_lookup(&c);
  return c.static_result;
}

struct hostent *gethostbyname2(const char *name, int af) {
  struct hb_call c = { 3, name, af, NULL, NULL, 0, NULL, NULL, 0, NULL };
  hb_lookup(&c);
  return c.static_result;
}
