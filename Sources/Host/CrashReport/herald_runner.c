#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
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
