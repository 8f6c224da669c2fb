#ifndef HERALD_CRASH_H
#define HERALD_CRASH_H

/* Names the plugin call a crash happened in. Before each call into a plugin the host records, for the calling
 * thread, which library, instance and ABI function it is entering; on SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE or
 * SIGTRAP (Swift's trap on arm64) a
 * handler writes that record to standard error with write(2) (async-signal-safe), then re-raises the signal with its
 * default action, so the process still dies with it (and dumps core where that is enabled). */

/* Names the calling thread (at most 15 bytes are kept), so that a backtrace or /proc/PID/task/TID/comm tells a plugin
 * instance's call thread apart. */
void herald_thread_set_name(const char *name);

/* Installs the handlers once per process; later calls do nothing. */
void herald_crash_install(void);

/* Records, for this thread, that the host is calling `call` of `where` ("plugin library PATH, instance NAME").
 * Both are copied (truncated to the record's size). */
void herald_crash_enter(const char *where, const char *call);

/* Clears this thread's record after the call returned. */
void herald_crash_leave(void);

/* Prepares a plugin runner (the child that loads a plugin with `isolation: process`) before it loads anything: it
 * dies with its parent (PR_SET_PDEATHSIG; returns ESRCH when `parent` is no longer its parent) and closes every
 * descriptor from 3 up except `keep_fd`. Returns 0 or an errno value. */
int herald_runner_prepare(int keep_fd, int parent);

/* Sets RLIMIT_AS (bytes) and RLIMIT_NOFILE where non-zero. Returns 0 or an errno value. */
int herald_runner_limit(unsigned long long memory_limit, unsigned int file_limit);

/* A plugin runner started with `--capabilities HEX` keeps only those capabilities (bit n: capability n), dropped
 * before main while it has one thread (herald_runner.c); it exits with status 74 when it cannot. */

#endif
