#define _GNU_SOURCE
#include "herald_crash.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* The calling thread's record: "plugin library PATH, instance NAME, in CALL". Thread-local, so that calls into
 * different instances from different threads never overwrite each other's, and the handler (which runs on the thread
 * that crashed, for a fault as for abort()) reads the one that matters. Initial-exec TLS: no allocation on access. */
static __thread char record[1024] __attribute__((tls_model("initial-exec")));
static __thread volatile sig_atomic_t recorded __attribute__((tls_model("initial-exec")));

static const int signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};

static void append(char *buffer, size_t *length, size_t capacity, const char *text) {
    for (; *text && *length + 1 < capacity; text++) buffer[(*length)++] = *text;
    buffer[*length] = 0;
}

void herald_crash_enter(const char *where, const char *call) {
    size_t length = 0;
    recorded = 0;
    append(record, &length, sizeof record, where);
    append(record, &length, sizeof record, ", in ");
    append(record, &length, sizeof record, call);
    recorded = 1;
}

void herald_crash_leave(void) { recorded = 0; }

static void write_all(const char *text, size_t length) {
    while (length > 0) {
        ssize_t n = write(2, text, length);
        if (n <= 0) return;
        text += n;
        length -= (size_t)n;
    }
}

/* strlen and write are async-signal-safe. */
static void say(const char *text) { write_all(text, strlen(text)); }

static const char *signal_name(int sig) {
    switch (sig) {
    case SIGABRT: return "SIGABRT";
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    case SIGTRAP: return "SIGTRAP";
    default: return "a fatal signal";
    }
}

static void on_fatal_signal(int sig) {
    say("\nherald: ");
    say(signal_name(sig));
    if (recorded) {
        say(" in ");
        say(record);
        say(": the plugin crashed the host; fix or remove the plugin\n");
    } else {
        say(" outside any call into a plugin (in the host, or in a thread a plugin started)\n");
    }
    /* The default action, as if no handler were installed: the process dies of this signal. */
    signal(sig, SIG_DFL);
    sigset_t unblock;
    sigemptyset(&unblock);
    sigaddset(&unblock, sig);
    pthread_sigmask(SIG_UNBLOCK, &unblock, NULL);
    raise(sig);
}

static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void install(void) {
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_fatal_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND | SA_NODEFER;
        sigaction(signals[i], &action, NULL);
    }
}

void herald_crash_install(void) { pthread_once(&installed, install); }
