#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <unistd.h>

#include "herald_crash.h"

static void close_from_to(unsigned int first, unsigned int last) {
    if (first > last) return;
#ifdef SYS_close_range
    if (syscall(SYS_close_range, first, last, 0) == 0) return;
#endif
    struct rlimit limit;
    unsigned int end = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 1048576 ? limit.rlim_cur : 1048576;
    for (unsigned int fd = first; fd <= last && fd < end; fd++) close((int)fd);
}

int herald_runner_prepare(int keep_fd, int parent) {
    /* Die with the host: the runner is never orphaned (the host's supervising thread outlives it). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return errno;
    if (parent > 0 && getppid() != parent) return ESRCH;
    /* Nothing of the host's but standard input, output, error and the protocol socket. */
    close_from_to(3, (unsigned int)keep_fd - 1);
    close_from_to((unsigned int)keep_fd + 1, ~0U);
    return 0;
}

int herald_runner_limit(unsigned long long memory_limit, unsigned int file_limit) {
    if (memory_limit > 0) {
        struct rlimit limit = {.rlim_cur = memory_limit, .rlim_max = memory_limit};
        if (setrlimit(RLIMIT_AS, &limit) != 0) return errno;
    }
    if (file_limit > 0) {
        struct rlimit limit = {.rlim_cur = file_limit, .rlim_max = file_limit};
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return errno;
    }
    return 0;
}

/* Keeps only the capabilities whose bits are set in `keep`: clears the ambient set, drops the others from the bounding
 * set (when the runner may), from the effective, permitted and inheritable sets, then sets no_new_privs. Returns 0 or
 * an errno value. */
static int keep_capabilities(unsigned long long keep) {
    if (keep == ~0ULL) return 0;
    /* Ambient capabilities would pass to the programs a plugin runs: none. */
    (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    /* The bounding set (needs CAP_SETPCAP, which root has; without it the permitted set below is what counts). */
    for (int cap = 0; cap < 64; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM) return errno;
    }
    struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return errno;
    for (int i = 0; i < 2; i++) {
        unsigned int mask = (unsigned int)(keep >> (32 * i));
        data[i].effective &= mask;
        data[i].permitted &= mask;
        data[i].inheritable &= mask;
    }
    if (syscall(SYS_capset, &header, data) != 0) return errno;
    /* No way back: an exec of a set-user-id or file-capability program gains nothing. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
    return 0;
}

/* A plugin runner (`herald plugin-runner … --capabilities HEX`) drops its capabilities here, before main, while the
 * process has one thread: capabilities belong to threads, and every thread started later (the Swift runtime's, the
 * plugin's) inherits the reduced sets. Fails closed: a runner that cannot drop them exits. */
__attribute__((constructor)) static void herald_runner_early(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc < 2 || argv == NULL || argv[1] == NULL || strcmp(argv[1], "plugin-runner") != 0) return;
    for (int i = 2; i + 1 < argc; i++) {
        if (strcmp(argv[i], "--capabilities") != 0) continue;
        char *end = NULL;
        errno = 0;
        unsigned long long keep = strtoull(argv[i + 1], &end, 16);
        int failed = errno != 0 || end == argv[i + 1] || *end != 0 ? EINVAL : keep_capabilities(keep);
        if (failed != 0) {
            static const char message[] = "herald plugin-runner: cannot drop capabilities before loading the plugin\n";
            (void)!write(2, message, sizeof message - 1);
            _exit(74);
        }
        return;
    }
}
