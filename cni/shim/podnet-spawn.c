/*
 * podnet-spawn: starts the processes of the node agent's CNI verbs (agent/cni-socket/).
 *
 * Why: a verb runs `ip` (and nsenter, nft, a delegated IPAM plugin) synchronously, two
 * processes per ADD. From the agent, Node's spawnSync fork()s the whole agent process:
 *   - each spawn costs more than posix_spawn from a small process, a fifth of an ADD
 *     (bench/README.md);
 *   - fork() copies the agent's page tables with its memory map locked, and every other
 *     thread of the agent that touches memory meanwhile waits: in a burst of pod starts,
 *     the CNI socket's main thread was slow to acknowledge requests.
 * This process does the spawning instead: posix_spawn (vfork-style: nothing copied), in its
 * own tiny address space. It runs in the agent's network namespace and passes on only the
 * environment it is sent, so a verb's processes are the ones the plugin itself would start.
 *
 * One helper serves one verb thread, one command at a time, through two FIFOs it creates,
 * DIR/req and DIR/resp (DIR, its only argument, is a private directory the agent made). It
 * prints "ready\n" on stdout once they exist, then opens req for reading (which waits for
 * the agent's thread to open it) and resp for writing. Frames, in host byte order:
 *
 *   request   u32 length of the rest | u32 seq | u32 timeout_ms (0: none) | u32 argc |
 *             u32 envc | u32 stdin_len | argc + envc NUL-terminated strings | stdin bytes
 *   response  u32 length of the rest | u32 seq | i32 kind | i32 value | u32 stdout_len |
 *             u32 stderr_len | stdout bytes | stderr bytes
 *             kind 0: exited, value = status; 1: killed, value = signal; 2: could not be
 *             started, value = errno; 3: timed out, value = its pid: at timeout_ms it was
 *             killed with SIGKILL, with its process group (it leads one of its own, so a
 *             delegated plugin's own children go with it)
 *
 * It exits when req reaches end of file: when every thread holding it open is gone, the
 * agent included (killed or not), so it never outlives the agent; and then removes its FIFOs
 * and DIR. Only libc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (256u << 20)
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum { EXITED = 0, KILLED = 1, NOT_STARTED = 2, TIMED_OUT = 3 };

struct buf {
  char *p;
  size_t len, cap;
};

static int buf_add(struct buf *b, const void *data, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) return -1;
    b->p = p, b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
  return 0;
}

static int read_full(int fd, void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t r = read(fd, c, n);
    if (r == 0) return 1;
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += r, n -= (size_t)r;
  }
  return 0;
}

static int write_full(int fd, const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    c += w, n -= (size_t)w;
  }
  return 0;
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* execvpe's lookup, with the PATH of the environment sent (as Node's spawnSync does). */
static int resolve(const char *file, char *const envp[], char *out, size_t size) {
  if (strchr(file, '/')) {
    if (strlen(file) >= size) return ENAMETOOLONG;
    strcpy(out, file);
    return access(out, X_OK) == 0 ? 0 : errno;
  }
  const char *path = DEFAULT_PATH;
  for (char *const *e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int err = ENOENT;
  for (const char *p = path;; p++) {
    const char *end = strchrnul(p, ':');
    size_t n = (size_t)(end - p);
    if (n == 0) n = 1, p = "."; /* an empty entry is the working directory */
    if (n + 1 + strlen(file) < size) {
      memcpy(out, p, n);
      out[n] = '/';
      strcpy(out + n + 1, file);
      if (access(out, X_OK) == 0) return 0;
      if (errno != ENOENT && errno != ENOTDIR) err = errno;
    }
    if (*end == 0) break;
    p = end;
  }
  return err;
}

static void respond(int fd, uint32_t seq, int32_t kind, int32_t value, const struct buf *out, const struct buf *err) {
  uint32_t head[6] = {0, seq, (uint32_t)kind, (uint32_t)value, (uint32_t)out->len, (uint32_t)err->len};
  head[0] = (uint32_t)(sizeof head - 4 + out->len + err->len);
  if (write_full(fd, head, sizeof head) < 0 || write_full(fd, out->p, out->len) < 0 || write_full(fd, err->p, err->len) < 0) exit(1);
}

/* Runs one command: stdin fed from `in`, stdout and stderr collected, until it exits. */
static void run(int resp_fd, uint32_t seq, uint32_t timeout_ms, char **argv, char **envp, const char *in, size_t in_len) {
  struct buf out = {0}, err = {0};
  char path[PATH_MAX];
  int e = argv[0] ? resolve(argv[0], envp, path, sizeof path) : EINVAL;
  if (e) return respond(resp_fd, seq, NOT_STARTED, e, &out, &err);

  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) < 0) return respond(resp_fd, seq, NOT_STARTED, errno, &out, &err);
  if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) exit(1);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
  posix_spawnattr_init(&attr);
  sigset_t none, dflt;
  sigemptyset(&none);
  sigemptyset(&dflt);
  sigaddset(&dflt, SIGPIPE); /* ignored here, default in the child, as Node's children have it */
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &dflt);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  pid_t pid;
  e = posix_spawn(&pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(pin[0]), close(pout[1]), close(perr[1]);
  if (e) {
    close(pin[1]), close(pout[0]), close(perr[0]);
    return respond(resp_fd, seq, NOT_STARTED, e, &out, &err);
  }
  fcntl(pin[1], F_SETFL, O_NONBLOCK);
  size_t fed = 0;
  if (in_len == 0) close(pin[1]), pin[1] = -1;
  int64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;
  int timed_out = 0;
  while (pout[0] >= 0 || perr[0] >= 0) {
    struct pollfd p[3] = {{pout[0], POLLIN, 0}, {perr[0], POLLIN, 0}, {pin[1], POLLOUT, 0}};
    int wait = -1;
    if (deadline) {
      int64_t left = deadline - now_ms();
      if (left <= 0) {
        kill(-pid, SIGKILL); /* its group: the process and whatever it started */
        kill(pid, SIGKILL);
        timed_out = 1;
        break;
      }
      wait = (int)left;
    }
    if (poll(p, 3, wait) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char chunk[65536];
      ssize_t r = read(p[i].fd, chunk, sizeof chunk);
      if (r > 0) {
        if (buf_add(i == 0 ? &out : &err, chunk, (size_t)r) < 0) exit(1);
      } else if (r == 0 || errno != EINTR) {
        close(p[i].fd);
        if (i == 0) pout[0] = -1;
        else perr[0] = -1;
      }
    }
    if (pin[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = write(pin[1], in + fed, in_len - fed);
      if (w > 0) fed += (size_t)w;
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || fed == in_len) close(pin[1]), pin[1] = -1; /* EPIPE: it stopped reading */
    }
  }
  if (pin[1] >= 0) close(pin[1]);
  if (pout[0] >= 0) close(pout[0]);
  if (perr[0] >= 0) close(perr[0]);
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) respond(resp_fd, seq, TIMED_OUT, (int32_t)pid, &out, &err);
  else if (WIFSIGNALED(status)) respond(resp_fd, seq, KILLED, WTERMSIG(status), &out, &err);
  else respond(resp_fd, seq, EXITED, WEXITSTATUS(status), &out, &err);
  free(out.p), free(err.p);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: podnet-spawn DIR (started by the podnet agent, not by hand)\n");
    return 2;
  }
  char req[PATH_MAX], resp[PATH_MAX];
  if (snprintf(req, sizeof req, "%s/req", argv[1]) >= (int)sizeof req || snprintf(resp, sizeof resp, "%s/resp", argv[1]) >= (int)sizeof resp) return 2;
  if ((mkfifo(req, 0600) < 0 && errno != EEXIST) || (mkfifo(resp, 0600) < 0 && errno != EEXIST)) {
    perror("podnet-spawn: mkfifo");
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);
  if (write_full(1, "ready\n", 6) < 0) return 1;
  int rfd = open(req, O_RDONLY | O_CLOEXEC);
  int wfd = rfd < 0 ? -1 : open(resp, O_WRONLY | O_CLOEXEC);
  if (wfd < 0) {
    perror("podnet-spawn: open");
    return 1;
  }
  for (;;) {
    uint32_t len;
    if (read_full(rfd, &len, 4) != 0) { /* end of file: the agent is gone (or done with us) */
      unlink(req), unlink(resp), rmdir(argv[1]);
      return 0;
    }
    if (len < 20 || len > MAX_FRAME) return 1;
    char *frame = malloc(len + 1);
    if (!frame || read_full(rfd, frame, len) != 0) return 1;
    frame[len] = 0;
    uint32_t h[5];
    memcpy(h, frame, sizeof h);
    uint32_t seq = h[0], timeout = h[1], nargs = h[2], nenv = h[3], in_len = h[4];
    if (nargs == 0 || nargs > 4096 || nenv > 4096 || in_len > len - 20) return 1;
    char **strs = calloc((size_t)nargs + nenv + 2, sizeof *strs);
    if (!strs) return 1;
    char *p = frame + 20, *end = frame + len - in_len;
    for (uint32_t i = 0; i < nargs + nenv; i++) {
      char *nul = memchr(p, 0, (size_t)(end - p));
      if (!nul) return 1;
      strs[i < nargs ? i : i + 1] = p; /* argv, NULL, envp, NULL */
      p = nul + 1;
    }
    run(wfd, seq, timeout, strs, strs + nargs + 1, end, in_len);
    free(strs);
    free(frame);
  }
}
