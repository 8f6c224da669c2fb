/*
 * A configurable test plugin for the loader and ABI conformance tests. Compiled by the tests with different -D flags:
 *   FIXTURE_ID="..."       the plugin id (default "dev.herald.test.fixture")
 *   FIXTURE_NULL_ENTRY     the entry function refuses every host (returns NULL)
 *   FIXTURE_MAJOR=N        the descriptor claims ABI major N
 *   FIXTURE_OLD_MINOR      built "against ABI 1.0 without the optional trailing fields": smaller structs
 *   FIXTURE_NEWER_MINOR    built against a future 1.7 whose structs have more fields at the end
 *   FIXTURE_NO_ENTRY       exports no entry symbol
 *   FIXTURE_RECORDER       an exclusive plugin whose record lines start with "t=NS " (CLOCK_MONOTONIC nanoseconds,
 *                          one clock for every network namespace): the layer-2 lab's recording of who announces
 * Its config (JSON) may hold "record": "/path" (append one line per call), "threads": N (during start, N threads
 * each call every host callback 200 times; stop joins them), "abortInAnnounce": true (announce calls abort(), as a
 * crashing plugin would), "trapInAnnounce": true (announce raises SIGTRAP), "noLiveReconfigure": true (configure on a started instance returns HERALD_ERR_STATE),
 * "hangInAnnounce": true (announce never returns, as a plugin stuck on a lock would; health still answers),
 * "segfaultInAnnounce": true (announce writes through a NULL pointer), "leakMiBPerSecond": N (start begins a thread
 * that allocates and touches N MiB every second and never frees them), "closeDescriptorsInAnnounce": true (announce
 * closes every descriptor from 3 to 1023, as a buggy plugin cleaning up would), "faultAddress": "A" (the announce faults
 * above apply to address A only; others are announced normally) and
 * "abortCountFile": "/path" (an announce faults while the file holds a number above 0, writing one less first: a
 * test sets how many announces crash, and when; the fault is the segfault, hang, descriptor closing or leak configured,
 * an abort when none is, and with this key no fault happens otherwise),
 * "eventOnStop": true (stop starts a thread that emits an event naming announcement "a1" and joins it, as the exec
 * and layer-2 plugins do while they stop: the host must take the event without waiting for stop to return),
 * "keepOnRestart": true (its herald.lifecycle/1 prepare_stop accepts a restart: the next stop keeps its
 * announcements; without it prepare_stop answers HERALD_ERR_UNSUPPORTED) and "hangInPrepareStop": true
 * (prepare_stop never returns).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "herald_plugin.h"
#include <signal.h>

#ifndef FIXTURE_ID
#define FIXTURE_ID "dev.herald.test.fixture"
#endif
#ifndef FIXTURE_MAJOR
#define FIXTURE_MAJOR HERALD_ABI_MAJOR
#endif

typedef struct fixture {
    const herald_host_api *host;
    FILE *record;
    int threads;
    pthread_t workers[16];
    int started;
    int abort_in_announce;
    int trap_in_announce;
    int no_live_reconfigure;
    int hang_in_announce;
    int event_on_stop;
    int keep_on_restart;
    int hang_in_prepare_stop;
    int segfault_in_announce;
    int leak_mib_per_second;
    int close_in_announce;
    char fault_address[64];
    char abort_count_file[512];
    pthread_t leaker;
    volatile int leaking;
    int descriptors_closed;
} fixture;

static void note(fixture *f, const char *fmt, const char *arg) {
    if (f && f->record) {
#ifdef FIXTURE_RECORDER
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        fprintf(f->record, "t=%llu ", (unsigned long long)now.tv_sec * 1000000000ull + (unsigned long long)now.tv_nsec);
#endif
        fprintf(f->record, fmt, arg);
        fputc('\n', f->record);
        fflush(f->record);
    }
}

static herald_status f_create(void *factory, const herald_host_api *host, void **out, char *err, size_t cap) {
    (void)factory;
    (void)err;
    (void)cap;
    fixture *f = calloc(1, sizeof *f);
    f->host = host;
    *out = f;
    return HERALD_OK;
}

/* Finds "key": value in flat JSON; enough for the fixture. */
static const char *json_value(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    return at ? at + strlen(pattern) : NULL;
}

static herald_status f_configure(void *p, const char *json, const herald_node_info *node, char *err, size_t cap) {
    fixture *f = p;
    if (f->started && f->no_live_reconfigure) {
        snprintf(err, cap, "cannot take a new config while started");
        return HERALD_ERR_STATE;
    }
    const char *bad = json_value(json, "fail");
    if (bad) {
        snprintf(err, cap, "config.fail: asked to fail");
        return HERALD_ERR_CONFIG;
    }
    const char *record = json_value(json, "record");
    if (record && *record == '"') {
        char path[512];
        size_t n = strcspn(record + 1, "\"");
        snprintf(path, sizeof path, "%.*s", (int)n, record + 1);
        if (f->record) fclose(f->record);
        f->record = fopen(path, "a");
    }
    const char *abort_flag = json_value(json, "abortInAnnounce");
    f->abort_in_announce = abort_flag && strncmp(abort_flag, "true", 4) == 0;
    const char *trap_flag = json_value(json, "trapInAnnounce");
    f->trap_in_announce = trap_flag && strncmp(trap_flag, "true", 4) == 0;
    const char *no_live = json_value(json, "noLiveReconfigure");
    f->no_live_reconfigure = no_live && strncmp(no_live, "true", 4) == 0;
    const char *hang = json_value(json, "hangInAnnounce");
    f->hang_in_announce = hang && strncmp(hang, "true", 4) == 0;
    const char *keep = json_value(json, "keepOnRestart");
    f->keep_on_restart = keep && strncmp(keep, "true", 4) == 0;
    const char *hang_prepare = json_value(json, "hangInPrepareStop");
    f->hang_in_prepare_stop = hang_prepare && strncmp(hang_prepare, "true", 4) == 0;
    const char *event_on_stop = json_value(json, "eventOnStop");
    f->event_on_stop = event_on_stop && strncmp(event_on_stop, "true", 4) == 0;
    const char *segfault = json_value(json, "segfaultInAnnounce");
    f->segfault_in_announce = segfault && strncmp(segfault, "true", 4) == 0;
    const char *leak = json_value(json, "leakMiBPerSecond");
    f->leak_mib_per_second = leak ? atoi(leak) : 0;
    const char *close_flag = json_value(json, "closeDescriptorsInAnnounce");
    f->close_in_announce = close_flag && strncmp(close_flag, "true", 4) == 0;
    const char *fault_address = json_value(json, "faultAddress");
    f->fault_address[0] = 0;
    const char *count_file = json_value(json, "abortCountFile");
    f->abort_count_file[0] = 0;
    if (count_file && *count_file == '"') {
        snprintf(f->abort_count_file, sizeof f->abort_count_file, "%.*s", (int)strcspn(count_file + 1, "\""),
                 count_file + 1);
    }
    if (fault_address && *fault_address == '"') {
        snprintf(f->fault_address, sizeof f->fault_address, "%.*s", (int)strcspn(fault_address + 1, "\""),
                 fault_address + 1);
    }
    const char *threads = json_value(json, "threads");
    f->threads = threads ? atoi(threads) : 0;
    if (f->threads > 16) f->threads = 16;
    note(f, "configure node=%s", HERALD_HAS_FIELD(node, herald_node_info, name) ? node->name : "?");
    const char *tag = json_value(json, "tag");
    if (tag && *tag == '"') {
        char text[64];
        snprintf(text, sizeof text, "%.*s", (int)strcspn(tag + 1, "\""), tag + 1);
        note(f, "tag %s", text);
    }
    return HERALD_OK;
}

static void *hammer(void *arg) {
    fixture *f = arg;
    for (int i = 0; i < 200; i++) {
        f->host->log(f->host->context, HERALD_LOG_DEBUG, "from a plugin thread");
        f->host->emit_event(f->host->context, HERALD_EVENT_NORMAL, "Tick", "from a plugin thread", NULL);
        f->host->report_health(f->host->context, i % 2 ? HERALD_HEALTH_OK : HERALD_HEALTH_DEGRADED, "flapping");
        if (f->host->get_extension) f->host->get_extension(f->host->context, "herald.test.none/1");
    }
    f->host->report_health(f->host->context, HERALD_HEALTH_OK, NULL);
    return NULL;
}

static void *leak(void *arg) {
    fixture *f = arg;
    while (f->leaking) {
        for (int i = 0; i < f->leak_mib_per_second; i++) {
            char *block = malloc(1 << 20);
            /* Out of memory ends the process, as Swift code does when an allocation fails. */
            if (!block) abort();
            memset(block, 0xA5, 1 << 20);
        }
        usleep(1000000);
    }
    return NULL;
}

static herald_status f_start(void *p, char *err, size_t cap) {
    (void)err;
    (void)cap;
    fixture *f = p;
    note(f, "start%s", "");
    for (int i = 0; i < f->threads; i++) pthread_create(&f->workers[i], NULL, hammer, f);
    if (f->leak_mib_per_second > 0 && !f->abort_count_file[0]) {
        f->leaking = 1;
        pthread_create(&f->leaker, NULL, leak, f);
    }
    f->started = 1;
    return HERALD_OK;
}

static herald_status f_announce(void *p, const herald_announcement *a, char *err, size_t cap) {
    (void)err;
    (void)cap;
    fixture *f = p;
    char line[512];
    snprintf(line, sizeof line, "%s %s/%u services=%zu", a->id, a->address_text, a->prefix_length, a->service_count);
    note(f, "announce %s", line);
    if (f->abort_count_file[0]) {
        /* The file holds how many announces are still to fault: one fewer each time, then none. The fault is the one
           configured (a segfault, a hang, closing every descriptor, a leak that starts here), an abort when none is;
           with a count file, no fault happens otherwise. A leak under way, or descriptors already closed, count
           once: the announces queued behind them in the runner do not count again. */
        if ((f->leak_mib_per_second > 0 && f->leaking) || f->descriptors_closed) return HERALD_OK;
        FILE *counter = fopen(f->abort_count_file, "r+");
        int left = 0;
        if (counter && fscanf(counter, "%d", &left) == 1 && left > 0) {
            rewind(counter);
            fprintf(counter, "%d      \n", left - 1);
            fclose(counter);
            if (f->segfault_in_announce) *(volatile int *)0 = 1;
            if (f->hang_in_announce) {
                for (;;) pause();
            }
            if (f->close_in_announce) {
                f->descriptors_closed = 1;
                for (int fd = 3; fd < 1024; fd++) close(fd);
                return HERALD_OK;
            }
            if (f->leak_mib_per_second > 0) {
                if (!f->leaking) {
                    f->leaking = 1;
                    pthread_create(&f->leaker, NULL, leak, f);
                }
                return HERALD_OK;
            }
            abort();
        }
        if (counter) fclose(counter);
        return HERALD_OK;
    }
    if (f->fault_address[0] && strcmp(f->fault_address, a->address_text) != 0) return HERALD_OK;
    if (f->abort_in_announce) abort();
    if (f->trap_in_announce) raise(SIGTRAP);
    if (f->segfault_in_announce) *(volatile int *)0 = 1;
    if (f->close_in_announce) {
        for (int fd = 3; fd < 1024; fd++) close(fd);
    }
    if (f->hang_in_announce) {
        for (;;) pause();
    }
    return HERALD_OK;
}

static herald_status f_withdraw(void *p, const char *id, char *err, size_t cap) {
    (void)err;
    (void)cap;
    note(p, "withdraw %s", id);
    return HERALD_OK;
}

static void *stop_event(void *arg) {
    fixture *f = arg;
    f->host->emit_event(f->host->context, HERALD_EVENT_WARNING, "Stopping", "an event while stopping", "a1");
    return NULL;
}

static void f_stop(void *p) {
    fixture *f = p;
    if (!f->started) return;
    if (f->event_on_stop) {
        pthread_t t;
        pthread_create(&t, NULL, stop_event, f);
        pthread_join(t, NULL);
    }
    for (int i = 0; i < f->threads; i++) pthread_join(f->workers[i], NULL);
    if (f->leaking) {
        f->leaking = 0;
        pthread_join(f->leaker, NULL);
    }
    f->started = 0;
    note(f, "stop%s", "");
}

static void f_destroy(void *p) {
    fixture *f = p;
    note(f, "destroy%s", "");
    if (f->record) fclose(f->record);
    free(f);
}

static herald_status f_prepare_stop(void *p, int32_t reason, char *err, size_t cap) {
    fixture *f = p;
    note(f, "prepare_stop %s", reason == HERALD_STOP_RESTART ? "restart" : "final");
    if (f->hang_in_prepare_stop) {
        for (;;) pause();
    }
    if (reason == HERALD_STOP_RESTART && f->keep_on_restart) return HERALD_OK;
    snprintf(err, cap, "keeps nothing");
    return HERALD_ERR_UNSUPPORTED;
}

static const herald_lifecycle_ext lifecycle = {
    .struct_size = sizeof(herald_lifecycle_ext),
    .prepare_stop = f_prepare_stop,
};

__attribute__((unused)) static const void *f_get_extension(void *p, const char *id) {
    (void)p;
    return strcmp(id, HERALD_EXT_LIFECYCLE) == 0 ? &lifecycle : NULL;
}

#ifdef FIXTURE_OLD_MINOR
#define VTABLE_SIZE (offsetof(herald_plugin_vtable, destroy) + sizeof(void *))
#define DESCRIPTOR_SIZE (offsetof(herald_plugin_descriptor, vtable) + sizeof(void *))
#define FIXTURE_MINOR 0
#else
#define VTABLE_SIZE sizeof(herald_plugin_vtable)
#define DESCRIPTOR_SIZE sizeof(herald_plugin_descriptor)
#define FIXTURE_MINOR HERALD_ABI_MINOR
#endif

/* A future minor: the same structs with fields appended. */
typedef struct {
    herald_plugin_vtable v1;
    void *future_slot[4];
} future_vtable;
typedef struct {
    herald_plugin_descriptor v1;
    const char *future_field[4];
} future_descriptor;

__attribute__((unused)) static future_vtable vtable = {
    .v1 = {
#ifdef FIXTURE_NEWER_MINOR
        .struct_size = sizeof(future_vtable),
#else
        .struct_size = VTABLE_SIZE,
#endif
        .create = f_create,
        .configure = f_configure,
        .start = f_start,
        .announce = f_announce,
        .withdraw = f_withdraw,
        .stop = f_stop,
        .destroy = f_destroy,
#ifndef FIXTURE_OLD_MINOR
        .health = NULL,
        .collect_metrics = NULL,
        .get_extension = f_get_extension,
#else
        /* Deliberately garbage when the struct is truncated: the host must not read it. */
        .get_extension = (void *)0x1,
#endif
    },
};

__attribute__((unused)) static const char *const protocols[] = {"test"};

__attribute__((unused)) static future_descriptor descriptor = {
    .v1 = {
#ifdef FIXTURE_NEWER_MINOR
        .struct_size = sizeof(future_descriptor),
        .abi_minor = 7,
#else
        .struct_size = DESCRIPTOR_SIZE,
        .abi_minor = FIXTURE_MINOR,
#endif
        .abi_major = FIXTURE_MAJOR,
        .id = FIXTURE_ID,
        .name = "Fixture",
        .version = "0.0.1",
        .description = "test fixture",
        .protocols = protocols,
        .protocol_count = 1,
#ifdef FIXTURE_RECORDER
        .flags = HERALD_PLUGIN_EXCLUSIVE,
#else
        .flags = HERALD_PLUGIN_ROUTED,
#endif
        .vtable = &vtable.v1,
#ifdef FIXTURE_OLD_MINOR
        .factory_context = (void *)0x1, /* past struct_size: must be ignored */
#endif
    },
};

#ifndef FIXTURE_NO_ENTRY
/* No attribute here: the header's declaration exports the entry even under -fvisibility=hidden. */
const herald_plugin_descriptor *herald_plugin_entry_v1(uint32_t major, uint32_t minor) {
    (void)minor;
#ifdef FIXTURE_NULL_ENTRY
    (void)major;
    return NULL;
#else
    return major == HERALD_ABI_MAJOR ? &descriptor.v1 : NULL;
#endif
}
#else
__attribute__((visibility("default"))) const herald_plugin_descriptor *some_other_entry(void) { return &descriptor.v1; }
#endif
