/*
 * podnet-shim: the `podnet` CNI executable the container runtime starts.
 *
 * Why it exists: the podnet plugin is Node; starting Node is most of an ADD's time
 * (bench/README.md). The node agent is a Node process that is already running, so this
 * program (which starts in about a millisecond) hands the verb to the agent over a unix
 * socket, and the agent runs the plugin's own verb code in-process (agent/cni-socket/,
 * where the protocol is documented).
 *
 * The agent is an accelerator, never a dependency: when the config names no `agentSocket`,
 * or anything fails before the agent has acknowledged the request (no socket, refused,
 * a version or namespace mismatch, no answer within ACK_TIMEOUT_MS), this program execs
 * the Node plugin, installed next to it as `podnet-node`, with the same stdin and the CNI
 * variables, which then does the verb within its normal time. After the acknowledgement
 * this program commits ("go"; without it the agent never starts the verb, so a late
 * acknowledgement cannot make a verb run twice), and the agent owns the verb: if it then
 * fails to answer, DEL, CHECK, GC, STATUS and VERSION
 * (idempotent or read-only) still fall back; ADD reports error 11 ("try again later")
 * rather than run a second time over a half-done first attempt (the runtime then DELs and
 * retries, as it does after any failed ADD).
 *
 * Whom it talks to: only an agent that root alone could have put at `agentSocket`
 * (untrusted_socket below): otherwise it runs the plugin itself and says why on stderr.
 *
 * It reads nothing from the environment but CNI_* (sent to the agent, passed to the plugin)
 * and PATH (passed to the plugin, whose launcher replaces it anyway). Only libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
/* Connect, send and the agent's acknowledgement (which comes before any work). Not less:
 * in a burst of pod starts on a small node, with Node plugins starting alongside, shims
 * waited longer for the agent's main thread to be scheduled and fell back (adding to the
 * burst); at 1 s none did (bench/README.md). A hung agent costs each call this much, then the
 * plugin runs; the go step makes a late acknowledgement harmless. */
#define ACK_TIMEOUT_MS 1000
#define RESULT_TIMEOUT_MS 120000  /* the verb itself, at most: the kubelet's runtime request timeout is 2 min */
/* An agent that acknowledges with "heartbeat" writes a "working" line every second while it
 * holds the verb (agent/cni-socket/): this much silence means it is stopped or wedged, and
 * the shim stops waiting (ADD: error 11, the rest: the plugin). 5x the longest the agent's
 * main thread was seen to take to answer in a burst of pod starts (bench/README.md). */
#define SILENCE_TIMEOUT_MS 5000
#define MAX_STDIN (64u << 20)     /* configs are kilobytes; GC's attachment list can grow */
#define MAX_ANSWER (64u << 20)
#define FALLBACK_NAME "podnet-node"
#define LATEST_CNI_VERSION "1.1.0"

extern char **environ;

/* `podnet cni uninstall` removes a `podnet` only if it finds this marker in it. */
__attribute__((used)) static const char install_marker[] = "podnet-cni-shim: the podnet CNI fast path (cni/shim/podnet-shim.c)";

/* ---- growable byte buffer ------------------------------------------------------------ */

struct buf {
  char *p;
  size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more) {
  if (more > SIZE_MAX / 2 - b->len) return -1;
  if (b->len + more <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + more) cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

static int buf_add(struct buf *b, const void *data, size_t n) {
  if (buf_reserve(b, n) < 0) return -1;
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

static int buf_str(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }

/* Appends s[0..n) as a JSON string literal. Bytes >= 0x80 go through as they are: the agent
 * decodes the line as UTF-8 exactly as the plugin decodes its stdin. */
static int buf_json_string(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  if (buf_add(b, "\"", 1) < 0) return -1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[6] = {'\\', 0, 0, 0, 0, 0};
    size_t k = 2;
    if (c == '"' || c == '\\') esc[1] = (char)c;
    else if (c == '\n') esc[1] = 'n';
    else if (c == '\r') esc[1] = 'r';
    else if (c == '\t') esc[1] = 't';
    else if (c < 0x20 || c == 0x7f) {
      esc[1] = 'u', esc[2] = '0', esc[3] = '0', esc[4] = hex[c >> 4], esc[5] = hex[c & 15];
      k = 6;
    } else {
      if (buf_add(b, &s[i], 1) < 0) return -1;
      continue;
    }
    if (buf_add(b, esc, k) < 0) return -1;
  }
  return buf_add(b, "\"", 1);
}

/* ---- a minimal JSON scan: the top-level string members we need ----------------------- */

struct scan {
  const char *p, *end;
};

static void skip_ws(struct scan *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return -1;
  }
  *out = v;
  return 0;
}

static int put_utf8(struct buf *out, unsigned cp) {
  char u[4];
  size_t n;
  if (cp < 0x80) u[0] = (char)cp, n = 1;
  else if (cp < 0x800) u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
  else if (cp < 0x10000) u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3f)), u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
  else u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3f)), u[2] = (char)(0x80 | (cp >> 6 & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
  return buf_add(out, u, n);
}

/* A JSON string at s->p (the opening quote), decoded into `out` (NULL: just skipped).
 * Every escape is honoured, so "agent\u0053ocket" is agentSocket and an escaped quote
 * does not end the string. Raw control characters and lone surrogates are refused:
 * the plugin, parsing the same text, refuses or mangles them too, and then reports it. */
static int scan_string(struct scan *s, struct buf *out) {
  if (s->p >= s->end || *s->p != '"') return -1;
  s->p++;
  while (s->p < s->end) {
    unsigned char c = (unsigned char)*s->p++;
    if (c == '"') return 0;
    if (c < 0x20) return -1;
    if (c != '\\') {
      if (out && buf_add(out, &c, 1) < 0) return -1;
      continue;
    }
    if (s->p >= s->end) return -1;
    char e = *s->p++;
    unsigned cp;
    switch (e) {
      case '"': case '\\': case '/': cp = (unsigned char)e; break;
      case 'b': cp = '\b'; break;
      case 'f': cp = '\f'; break;
      case 'n': cp = '\n'; break;
      case 'r': cp = '\r'; break;
      case 't': cp = '\t'; break;
      case 'u':
        if (s->end - s->p < 4 || hex4(s->p, &cp) < 0) return -1;
        s->p += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff) return -1;
        if (cp >= 0xd800 && cp <= 0xdbff) {
          unsigned lo;
          if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) return -1;
          s->p += 6;
          cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        break;
      default: return -1;
    }
    if (out && put_utf8(out, cp) < 0) return -1;
  }
  return -1;
}

/* Skips any JSON value: strings honour escapes, objects and arrays are skipped by depth
 * (brackets inside strings do not count). Not a validator: the plugin validates. */
static int skip_value(struct scan *s) {
  skip_ws(s);
  if (s->p >= s->end) return -1;
  if (*s->p == '"') return scan_string(s, NULL);
  if (*s->p == '{' || *s->p == '[') {
    size_t depth = 0;
    while (s->p < s->end) {
      char c = *s->p;
      if (c == '"') {
        if (scan_string(s, NULL) < 0) return -1;
        continue;
      }
      s->p++;
      if (c == '{' || c == '[') depth++;
      else if ((c == '}' || c == ']') && --depth == 0) return 0;
    }
    return -1;
  }
  const char *start = s->p; /* number, true, false, null */
  while (s->p < s->end && strchr("0123456789+-.eEtruefalsn", *s->p)) s->p++;
  return s->p > start ? 0 : -1;
}

struct member {
  const char *key;
  int found;      /* 0 absent, 1 a string (in value), 2 present but not a string */
  struct buf value;
};

/* Walks the top-level object and records the members asked for; a repeated key keeps its
 * last value, as JSON.parse in the plugin does. -1: not a JSON object we could walk. */
static int scan_members(const char *text, size_t n, struct member *m, size_t count) {
  struct scan s = {text, text + n};
  skip_ws(&s);
  if (s.p >= s.end || *s.p++ != '{') return -1;
  skip_ws(&s);
  if (s.p < s.end && *s.p == '}') return 0;
  for (;;) {
    struct buf key = {0};
    skip_ws(&s);
    if (scan_string(&s, &key) < 0) return free(key.p), -1;
    skip_ws(&s);
    if (s.p >= s.end || *s.p++ != ':') return free(key.p), -1;
    skip_ws(&s);
    struct member *hit = NULL;
    for (size_t i = 0; i < count; i++)
      if (strlen(m[i].key) == key.len && memcmp(m[i].key, key.p, key.len) == 0) hit = &m[i];
    free(key.p);
    if (hit && s.p < s.end && *s.p == '"') {
      hit->value.len = 0;
      if (scan_string(&s, &hit->value) < 0) return -1;
      hit->found = 1;
    } else {
      if (hit) hit->found = 2;
      if (skip_value(&s) < 0) return -1;
    }
    skip_ws(&s);
    if (s.p >= s.end) return -1;
    char c = *s.p++;
    if (c == '}') return 0;
    if (c != ',') return -1;
  }
}

/* ---- I/O helpers --------------------------------------------------------------------- */

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until fd is ready for `events` or the deadline passes: 0 ready, -1 not. */
static int wait_fd(int fd, short events, int64_t deadline) {
  for (;;) {
    int64_t left = deadline - now_ms();
    if (left <= 0) return -1;
    struct pollfd p = {.fd = fd, .events = events};
    int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
    if (r > 0) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += w, n -= (size_t)w;
  }
  return 0;
}

/* MSG_NOSIGNAL: an agent that closes early must not kill this process with SIGPIPE
 * (and ignoring SIGPIPE instead would be inherited by the Node plugin on fallback). */
static int send_all(int fd, const char *p, size_t n, int64_t deadline) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT, deadline) == 0) continue;
      return -1;
    }
    p += w, n -= (size_t)w;
  }
  return 0;
}

/* Reads into b until it holds at least `want` bytes or EOF: 0 ok, 1 EOF first, -1 error or timeout. */
static int recv_until(int fd, struct buf *b, size_t want, int64_t deadline) {
  while (b->len < want) {
    if (buf_reserve(b, 65536) < 0) return -1;
    ssize_t r = recv(fd, b->p + b->len, b->cap - b->len, 0);
    if (r > 0) {
      b->len += (size_t)r;
      if (b->len > MAX_ANSWER) return -1;
      continue;
    }
    if (r == 0) return 1;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLIN, deadline) == 0) continue;
    return -1;
  }
  return 0;
}

/* Reads one line (without "\n") into line; bytes after it stay in b. 0 ok, -1 not. */
static int recv_line(int fd, struct buf *b, size_t max, int64_t deadline, size_t *line_len) {
  for (;;) {
    char *nl = b->len ? memchr(b->p, '\n', b->len) : NULL;
    if (nl) {
      *line_len = (size_t)(nl - b->p);
      return 0;
    }
    if (b->len > max) return -1;
    if (recv_until(fd, b, b->len + 1, deadline) != 0) return -1;
  }
}

/* Matches `lit` at *p, moving past it. */
static int eat(const char **p, const char *end, const char *lit) {
  size_t n = strlen(lit);
  if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0) return -1;
  *p += n;
  return 0;
}

static int eat_uint(const char **p, const char *end, size_t *out) {
  size_t v = 0;
  const char *start = *p;
  while (*p < end && **p >= '0' && **p <= '9' && *p - start < 12) v = v * 10 + (size_t)(*(*p)++ - '0');
  if (*p == start) return -1;
  *out = v;
  return 0;
}

/* ---- the fallback: the Node plugin itself -------------------------------------------- */

static const char *cni_version = LATEST_CNI_VERSION; /* for errors this program reports itself */

static void print_error(int code, const char *msg, const char *details) {
  struct buf b = {0};
  buf_str(&b, "{\"cniVersion\":");
  buf_json_string(&b, cni_version, strlen(cni_version));
  char num[32];
  snprintf(num, sizeof num, ",\"code\":%d,\"msg\":", code);
  buf_str(&b, num);
  buf_json_string(&b, msg, strlen(msg));
  if (details) {
    buf_str(&b, ",\"details\":");
    buf_json_string(&b, details, strlen(details));
  }
  buf_str(&b, "}");
  if (b.p) write_all(1, b.p, b.len);
  fprintf(stderr, "podnet: %s%s%s\n", msg, details ? ": " : "", details ? details : "");
}

/* The plugin reads its config from stdin, which this program has consumed: give it the same
 * bytes on a fresh fd 0. A memfd holds any size without a helper process; without memfd, a
 * pipe, written by a child when the config is larger than the pipe holds. */
static int replay_stdin(const struct buf *in) {
  int fd = memfd_create("podnet-stdin", 0);
  if (fd >= 0) {
    if (write_all(fd, in->p ? in->p : "", in->len) == 0 && lseek(fd, 0, SEEK_SET) == 0 && dup2(fd, 0) == 0) {
      close(fd);
      return 0;
    }
    close(fd);
  }
  int p[2];
  if (pipe(p) < 0) return -1;
  int capacity = fcntl(p[1], F_GETPIPE_SZ);
  if (capacity > 0 && in->len <= (size_t)capacity) {
    if (write_all(p[1], in->p ? in->p : "", in->len) < 0) return -1;
  } else {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
      close(p[0]);
      _exit(write_all(p[1], in->p, in->len) == 0 ? 0 : 1);
    }
  }
  close(p[1]);
  if (dup2(p[0], 0) < 0) return -1;
  close(p[0]);
  return 0;
}

/* Execs podnet-node from this executable's own directory (the runtime may have started us
 * by any path; /proc/self/exe is where the file really is). Returns only on failure. */
static void exec_plugin(const struct buf *in, const char *argv0) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) self[n] = 0;
  else if (strchr(argv0, '/') && strlen(argv0) < sizeof self) strcpy(self, argv0);
  else {
    print_error(199, "cannot find the podnet plugin: /proc/self/exe is unreadable", NULL);
    exit(1);
  }
  char *slash = strrchr(self, '/');
  if (!slash || (size_t)(slash - self) + 1 + sizeof FALLBACK_NAME > sizeof self) {
    print_error(199, "cannot find the podnet plugin next to the shim", self);
    exit(1);
  }
  strcpy(slash + 1, FALLBACK_NAME);

  if (replay_stdin(in) < 0) {
    print_error(5, "cannot hand the network configuration to the podnet plugin", strerror(errno));
    exit(1);
  }
  /* Only CNI_* and PATH go on; the plugin's own launcher narrows it further. */
  size_t count = 0;
  for (char **e = environ; *e; e++) count++;
  char **env = calloc(count + 1, sizeof *env);
  size_t k = 0;
  if (env)
    for (char **e = environ; *e; e++)
      if (strncmp(*e, "CNI_", 4) == 0 || strncmp(*e, "PATH=", 5) == 0) env[k++] = *e;
  char *args[] = {self, NULL};
  execve(self, args, env ? env : environ);
  char why[4200];
  snprintf(why, sizeof why, "%s: %s", self, strerror(errno));
  print_error(199, "cannot run the podnet plugin", why);
  exit(1);
}

/* ---- whom to trust at agentSocket ----------------------------------------------------- */

/* Why the fast path was not taken. `quiet`: nothing unusual (no agent is there), so nothing
 * is said; otherwise a warning line goes to stderr before the plugin runs. */
static char why_buf[1024];
static int why_quiet;

static const char *because(int quiet, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why_buf, sizeof why_buf, fmt, ap);
  va_end(ap);
  why_quiet = quiet;
  return why_buf;
}

/* Directories a stranger could have changed: owned by someone other than root, or writable
 * by a group or others. A sticky root-owned directory (such as /tmp) is fine above the
 * socket's own directory: others can add names there but not rename or remove root's. */
static const char *untrusted_dir(const char *dir, int holds_socket) {
  struct stat st;
  if (lstat(dir, &st) < 0) return because(errno == ENOENT, "%s: %s", dir, strerror(errno));
  if (!S_ISDIR(st.st_mode)) return because(0, "%s is not a directory", dir);
  if (st.st_uid != 0) return because(0, "directory %s is owned by uid %u, not root", dir, (unsigned)st.st_uid);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (holds_socket || !(st.st_mode & S_ISVTX)))
    return because(0, "directory %s is writable by %s (mode %04o)", dir, st.st_mode & S_IWOTH ? "others" : "its group", (unsigned)(st.st_mode & 07777));
  return NULL;
}

/* The socket file is 0600, but a socket is found by its path: a user who can write in any
 * directory on that path can put a socket of their own there (while the agent restarts)
 * and would receive every pod's config, could answer ADD with a forged address, or
 * acknowledge a DEL and clean nothing up. So the path is used only when root alone could
 * have made it what it is: every directory from / down, symlinks resolved, root's and
 * writable by nobody else (untrusted_dir), and the socket a socket owned by root (lstat: a
 * symlink in its place is refused). The resolved path goes into `out`, and that is what is
 * connected to, so what was checked is what is used; after connecting, the peer must be
 * root too (SO_PEERCRED, in ask_agent). NULL: trusted. */
static const char *untrusted_socket(const char *socket_path, struct sockaddr_un *out) {
  const char *slash = strrchr(socket_path, '/');
  const char *base = slash + 1;
  if (socket_path[0] != '/' || !*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0)
    return because(0, "agentSocket %s is not an absolute path to a file", socket_path);
  char dir[PATH_MAX], real[PATH_MAX];
  size_t dl = slash == socket_path ? 1 : (size_t)(slash - socket_path);
  if (dl >= sizeof dir) return because(0, "agentSocket's directory is too long");
  memcpy(dir, socket_path, dl);
  dir[dl] = 0;
  if (!realpath(dir, real)) return because(errno == ENOENT, "directory %s: %s", dir, strerror(errno));
  size_t rl = strlen(real);
  /* "/", then each longer prefix that ends at a "/" or at the end: /run, /run/podnet, ... */
  const char *why = untrusted_dir("/", rl == 1);
  for (size_t end = 2; end <= rl && !why; end++) {
    if (end < rl && real[end] != '/') continue;
    char saved = real[end];
    real[end] = 0;
    why = untrusted_dir(real, end == rl);
    real[end] = saved;
  }
  if (why) return why;
  if (rl + 1 + strlen(base) >= sizeof out->sun_path) return because(0, "agentSocket %s resolves to a path too long for a unix socket", socket_path);
  snprintf(out->sun_path, sizeof out->sun_path, "%s%s%s", real, rl == 1 ? "" : "/", base);
  struct stat st;
  if (lstat(out->sun_path, &st) < 0) return because(errno == ENOENT, "%s: %s", out->sun_path, strerror(errno));
  if (!S_ISSOCK(st.st_mode)) return because(0, "%s is not a socket", out->sun_path);
  if (st.st_uid != 0) return because(0, "socket %s is owned by uid %u, not root", out->sun_path, (unsigned)st.st_uid);
  return NULL;
}

/* One warning line on stderr, in the plugin's own log line form (cni/log.ts). */
static void say_fallback(const char *socket_path, const char *why) {
  struct timespec t;
  struct tm tm;
  char when[40] = "";
  clock_gettime(CLOCK_REALTIME, &t);
  if (gmtime_r(&t.tv_sec, &tm)) {
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof when - n, ".%03ldZ", t.tv_nsec / 1000000);
  }
  struct buf b = {0};
  char pid[64];
  snprintf(pid, sizeof pid, ",\"level\":\"warn\",\"pid\":%ld,\"msg\":", (long)getpid());
  int bad = buf_str(&b, "{\"time\":") | buf_json_string(&b, when, strlen(when)) | buf_str(&b, pid);
  bad |= buf_str(&b, "\"not using the podnet agent: the plugin runs the verb itself\",\"agentSocket\":");
  bad |= buf_json_string(&b, socket_path, strlen(socket_path)) | buf_str(&b, ",\"why\":") | buf_json_string(&b, why, strlen(why)) | buf_str(&b, "}\n");
  if (!bad) write_all(2, b.p, b.len);
  free(b.p);
}

/* ---- the fast path -------------------------------------------------------------------- */

enum outcome { SERVED, FALL_BACK, FAILED_AFTER_ACK };

static enum outcome ask_agent(const char *socket_path, const struct buf *in, int *status, struct buf *answer, size_t *out_off, size_t *out_len, size_t *err_len, const char **why) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  if ((*why = untrusted_socket(socket_path, &addr))) return FALL_BACK;

  char netns[64];
  ssize_t nl = readlink("/proc/self/ns/net", netns, sizeof netns - 1);
  if (nl <= 0) return *why = "cannot read /proc/self/ns/net", FALL_BACK;
  netns[nl] = 0;

  struct buf req = {0};
  char head[32];
  snprintf(head, sizeof head, "{\"v\":%d,\"netns\":", PROTOCOL_VERSION);
  int bad = buf_str(&req, head) | buf_json_string(&req, netns, (size_t)nl) | buf_str(&req, ",\"heartbeat\":true,\"env\":{");
  int first = 1;
  for (char **e = environ; *e && !bad; e++) {
    const char *eq = strchr(*e, '=');
    if (strncmp(*e, "CNI_", 4) != 0 || !eq) continue;
    bad |= buf_str(&req, first ? "" : ",") | buf_json_string(&req, *e, (size_t)(eq - *e)) | buf_str(&req, ":") | buf_json_string(&req, eq + 1, strlen(eq + 1));
    first = 0;
  }
  bad |= buf_str(&req, "},\"stdin\":") | buf_json_string(&req, in->p ? in->p : "", in->len) | buf_str(&req, "}\n");
  if (bad) return free(req.p), *why = "out of memory", FALL_BACK;

  int64_t deadline = now_ms() + ACK_TIMEOUT_MS;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return free(req.p), *why = "socket() failed", FALL_BACK;
  /* A unix connect completes at once or fails; EAGAIN means the agent's backlog is full:
   * try again shortly, until the deadline. */
  while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EINTR) continue;
    if (errno != EAGAIN || now_ms() + 5 >= deadline) {
      int e = errno;
      return close(fd), free(req.p), *why = because(e == ECONNREFUSED || e == ENOENT, "connect to %s: %s", addr.sun_path, strerror(e)), FALL_BACK;
    }
    poll(NULL, 0, 5);
  }
  /* Before a byte of the config goes out: the listener must be root. */
  struct ucred peer;
  socklen_t pl = sizeof peer;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &pl) < 0)
    return close(fd), free(req.p), *why = because(0, "cannot tell who listens at %s: %s", addr.sun_path, strerror(errno)), FALL_BACK;
  if (peer.uid != 0)
    return close(fd), free(req.p), *why = because(0, "the process listening at %s (pid %ld) runs as uid %u, not root", addr.sun_path, (long)peer.pid, (unsigned)peer.uid), FALL_BACK;
  int sent = send_all(fd, req.p, req.len, deadline);
  free(req.p);
  if (sent < 0) return close(fd), *why = "sending the request failed", FALL_BACK;

  size_t len;
  char ack[64], beating[64];
  snprintf(ack, sizeof ack, "{\"v\":%d,\"ack\":true}", PROTOCOL_VERSION);
  snprintf(beating, sizeof beating, "{\"v\":%d,\"ack\":true,\"heartbeat\":true}", PROTOCOL_VERSION);
  if (recv_line(fd, answer, 4096, deadline, &len) < 0) return close(fd), *why = "no acknowledgement within 1 s", FALL_BACK;
  int heartbeat = len == strlen(beating) && memcmp(answer->p, beating, len) == 0;
  if (!heartbeat && (len != strlen(ack) || memcmp(answer->p, ack, len) != 0)) {
    close(fd);
    return *why = because(0, "the agent refused the request: %.*s", (int)(len > 300 ? 300 : len), answer->p), FALL_BACK;
  }
  memmove(answer->p, answer->p + len + 1, answer->len - len - 1);
  answer->len -= len + 1;

  /* Commit. Until the agent reads this it has done nothing; once sent, the verb is the agent's. */
  char go[64];
  snprintf(go, sizeof go, "{\"v\":%d,\"go\":true}\n", PROTOCOL_VERSION);
  if (send_all(fd, go, strlen(go), deadline) < 0) return close(fd), *why = "the agent went away before the go", FALL_BACK;
  int64_t overall = now_ms() + RESULT_TIMEOUT_MS;
  char working[64];
  snprintf(working, sizeof working, "{\"v\":%d,\"working\":true}", PROTOCOL_VERSION);
  for (;;) {
    int64_t quiet_until = heartbeat ? now_ms() + SILENCE_TIMEOUT_MS : overall;
    deadline = quiet_until < overall ? quiet_until : overall;
    if (recv_line(fd, answer, 4096, deadline, &len) < 0) {
      close(fd);
      if (now_ms() >= overall) return *why = "did not answer within 120 s", FAILED_AFTER_ACK;
      if (heartbeat && now_ms() >= quiet_until) return *why = "went silent (no word for 5 s: stopped or wedged)", FAILED_AFTER_ACK;
      return *why = "went away without an answer", FAILED_AFTER_ACK;
    }
    if (!heartbeat || len != strlen(working) || memcmp(answer->p, working, len) != 0) break;
    memmove(answer->p, answer->p + len + 1, answer->len - len - 1);
    answer->len -= len + 1;
  }
  deadline = overall;
  const char *p = answer->p, *end = answer->p + len;
  size_t st, outn, errn;
  char v[32];
  snprintf(v, sizeof v, "{\"v\":%d,\"status\":", PROTOCOL_VERSION);
  if (eat(&p, end, v) || eat_uint(&p, end, &st) || eat(&p, end, ",\"stdoutBytes\":") || eat_uint(&p, end, &outn) ||
      eat(&p, end, ",\"stderrBytes\":") || eat_uint(&p, end, &errn) || eat(&p, end, "}") || p != end || st > 255 || outn > MAX_ANSWER || errn > MAX_ANSWER)
    return close(fd), *why = "the agent's answer is malformed", FAILED_AFTER_ACK;
  if (recv_until(fd, answer, len + 1 + outn + errn, deadline) != 0) return close(fd), *why = "the agent's answer is cut short", FAILED_AFTER_ACK;
  close(fd);
  *status = (int)st;
  *out_off = len + 1;
  *out_len = outn;
  *err_len = errn;
  return SERVED;
}

int main(int argc, char **argv) {
  (void)argc;
  struct buf in = {0};
  for (;;) {
    if (buf_reserve(&in, 65536) < 0 || in.len > MAX_STDIN) {
      print_error(5, "the network configuration on stdin is too large", NULL);
      return 1;
    }
    ssize_t r = read(0, in.p + in.len, in.cap - in.len);
    if (r > 0) in.len += (size_t)r;
    else if (r == 0 || errno != EINTR) break; /* EOF, or an error the plugin will meet too */
  }

  struct member m[] = {{"agentSocket", 0, {0}}, {"cniVersion", 0, {0}}};
  if (scan_members(in.p ? in.p : "", in.len, m, 2) < 0 || m[0].found != 1) exec_plugin(&in, argv[0]);
  if (buf_add(&m[0].value, "", 1) < 0 || buf_add(&m[1].value, "", 1) < 0) exec_plugin(&in, argv[0]);
  if (m[1].found == 1 && strlen(m[1].value.p) == m[1].value.len - 1) cni_version = m[1].value.p;
  if (strlen(m[0].value.p) != m[0].value.len - 1) exec_plugin(&in, argv[0]); /* a NUL in the path */

  struct buf answer = {0};
  int status = 1;
  size_t off = 0, outn = 0, errn = 0;
  const char *why = "";
  enum outcome o = ask_agent(m[0].value.p, &in, &status, &answer, &off, &outn, &errn, &why);
  if (o == SERVED) {
    write_all(1, answer.p + off, outn);
    write_all(2, answer.p + off + outn, errn);
    return status;
  }
  if (o == FALL_BACK && !why_quiet) say_fallback(m[0].value.p, why);
  const char *verb = getenv("CNI_COMMAND");
  if (o == FAILED_AFTER_ACK && verb && strcmp(verb, "ADD") == 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "the podnet agent at %s took the ADD but %s: try again", m[0].value.p, why);
    print_error(11, msg, NULL);
    return 1;
  }
  exec_plugin(&in, argv[0]);
  return 1;
}
