/*
 * The exec plugin: runs an operator's command when Herald announces or withdraws an address, with the details in
 * environment variables. A plain C example of the Herald plugin ABI and a real tool for custom integrations (a cloud
 * route table, a firewall rule, a DNS record, a static route for BIRD or FRR).
 *
 * Plugin calls never block: announce and withdraw queue a job; one worker thread per instance runs the jobs in order,
 * each with a timeout, and reports failures through the host's log, events and health. The queue holds at most
 * EXEC_QUEUE_LIMIT jobs: when it is full, a new action for an id that already has a job waiting replaces that job (the
 * latest action for an id is the one that counts, and it goes to the back so the latest actions keep their order); an
 * action for any other id is refused with HERALD_ERR_RESOURCE and changes nothing, so the host tries it again later.
 *
 * Environment of each command: HERALD_ACTION (announce|withdraw), HERALD_ID, HERALD_ADDRESS, HERALD_PREFIX_LENGTH,
 * HERALD_FAMILY (ipv4|ipv6), HERALD_SERVICES (comma-separated namespace/name), HERALD_ATTRIBUTES (JSON),
 * HERALD_ADVERTISEMENT, HERALD_NODE, plus the host's PATH, HOME and LANG.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdarg.h>
#include <time.h>
#include <unistd.h>

#include "exec_plugin.h"

#define EXEC_ENV_COUNT 12

#ifndef EXEC_QUEUE_LIMIT
#define EXEC_QUEUE_LIMIT 1024
#endif

typedef struct announcement {
    char *id;
    char *env[EXEC_ENV_COUNT]; /* the HERALD_* variables except HERALD_ACTION */
    struct announcement *next;
} announcement;

typedef struct job {
    int withdraw; /* 0 announce, 1 withdraw */
    char *env[EXEC_ENV_COUNT + 1];
    char *id;
    struct job *next;
} job;

typedef struct instance {
    const herald_host_api *host;
    exec_config cfg;
    int configured;
    char *node;
    announcement *active; /* touched only from plugin calls, which the host serialises */

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;
    job *head, *tail;
    int running, stopping;
    pthread_t worker;
    unsigned long long runs, failures, queued, coalesced, refused;
    int last_failed;
    char last_error[512];
} instance;

static void host_log(instance *in, int32_t level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void host_log(instance *in, int32_t level, const char *fmt, ...) {
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (in->host->log) in->host->log(in->host->context, level, line);
}

static void set_err(char *err, size_t cap, const char *text) {
    if (err != NULL && cap > 0) snprintf(err, cap, "%s", text);
}

static char *env_pair(const char *key, const char *value) {
    char *out = NULL;
    if (asprintf(&out, "%s=%s", key, value ? value : "") < 0) return NULL;
    return out;
}

static void free_strings(char **list, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(list[i]);
        list[i] = NULL;
    }
}

/* ---- The worker ------------------------------------------------------------------------------------------------ */

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs one command with its output sent to the host log; returns its exit status or -1. */
static int run_command(instance *in, const exec_command *cmd, char **env, const char *what, char *why, size_t why_cap) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) {
        snprintf(why, why_cap, "pipe: %s", strerror(errno));
        return -1;
    }
    /* The command gets descriptors 0-2 only: none of the host's sockets, files or pipes. */
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536) max_fd = 65536;
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, why_cap, "fork: %s", strerror(errno));
        close(out[0]);
        close(out[1]);
        return -1;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here on. */
        dup2(out[1], 1);
        dup2(out[1], 2);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) dup2(devnull, 0);
        int closed = -1;
#ifdef SYS_close_range
        closed = (int)syscall(SYS_close_range, 3u, ~0u, 0u);
#endif
        if (closed != 0)
            for (long fd = 3; fd < max_fd; fd++) close((int)fd);
        setpgid(0, 0);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(cmd->argv[0], cmd->argv, env);
        _exit(127);
    }
    close(out[1]);
    fcntl(out[0], F_SETFL, O_NONBLOCK);
    double deadline = now_seconds() + in->cfg.timeout_seconds;
    char buffer[4096];
    size_t used = 0;
    int status = 0, done = 0, killed = 0, eof = 0;
    while (!done) {
        struct pollfd pfd = {.fd = out[0], .events = POLLIN};
        if (!eof) poll(&pfd, 1, 50);
        else usleep(10000);
        for (;;) {
            ssize_t n = eof ? 0 : read(out[0], buffer + used, sizeof buffer - 1 - used);
            if (n <= 0) {
                if (n == 0) eof = 1;
                break;
            }
            used += (size_t)n;
            char *start = buffer, *nl;
            while ((nl = memchr(start, '\n', used - (size_t)(start - buffer))) != NULL) {
                *nl = '\0';
                host_log(in, HERALD_LOG_INFO, "%s: %s", what, start);
                start = nl + 1;
            }
            used -= (size_t)(start - buffer);
            memmove(buffer, start, used);
            if (used == sizeof buffer - 1) { /* an overlong line: flush it as is */
                buffer[used] = '\0';
                host_log(in, HERALD_LOG_INFO, "%s: %s", what, buffer);
                used = 0;
            }
        }
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) done = 1;
        else if (!killed && now_seconds() > deadline) {
            kill(-pid, SIGTERM);
            killed = 1;
            deadline = now_seconds() + 2;
        } else if (killed == 1 && now_seconds() > deadline) {
            kill(-pid, SIGKILL);
            killed = 2;
        }
    }
    if (used > 0) {
        buffer[used] = '\0';
        host_log(in, HERALD_LOG_INFO, "%s: %s", what, buffer);
    }
    close(out[0]);
    if (killed) {
        snprintf(why, why_cap, "timed out after %d s and was killed", in->cfg.timeout_seconds);
        return -1;
    }
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) == 127) snprintf(why, why_cap, "exited 127 (program not found or not executable?)");
        else snprintf(why, why_cap, "exited %d", WEXITSTATUS(status));
        return WEXITSTATUS(status);
    }
    snprintf(why, why_cap, "killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return -1;
}

static void job_free(job *j) {
    free_strings(j->env, EXEC_ENV_COUNT + 1);
    free(j->id);
    free(j);
}

static void *worker_main(void *arg) {
    instance *in = arg;
    pthread_mutex_lock(&in->lock);
    for (;;) {
        while (in->head == NULL && !in->stopping) pthread_cond_wait(&in->wake, &in->lock);
        if (in->head == NULL && in->stopping) break;
        job *j = in->head;
        in->head = j->next;
        if (in->head == NULL) in->tail = NULL;
        in->queued--;
        pthread_mutex_unlock(&in->lock);

        const exec_command *cmd = j->withdraw ? &in->cfg.withdraw : &in->cfg.announce;
        char what[160], why[160] = "";
        snprintf(what, sizeof what, "%s %s", j->withdraw ? "withdraw" : "announce", j->id);
        int rc = run_command(in, cmd, j->env, what, why, sizeof why);

        pthread_mutex_lock(&in->lock);
        in->runs++;
        if (rc != 0) {
            in->failures++;
            in->last_failed = 1;
            snprintf(in->last_error, sizeof in->last_error, "%s: command %s", what, why);
        } else {
            in->last_failed = 0;
            in->last_error[0] = '\0';
        }
        pthread_mutex_unlock(&in->lock);
        if (rc != 0) {
            char message[512];
            snprintf(message, sizeof message, "%s: command %s %s", what, cmd->argv[0], why);
            host_log(in, HERALD_LOG_ERROR, "%s", message);
            if (in->host->emit_event) in->host->emit_event(in->host->context, HERALD_EVENT_WARNING, "CommandFailed", message, j->id);
            if (in->host->report_health) in->host->report_health(in->host->context, HERALD_HEALTH_DEGRADED, message);
        } else if (in->host->report_health) {
            in->host->report_health(in->host->context, HERALD_HEALTH_OK, NULL);
        }
        job_free(j);
        pthread_mutex_lock(&in->lock);
    }
    pthread_mutex_unlock(&in->lock);
    return NULL;
}

/* Queues a job: 0 on success, -1 out of memory, -2 when the queue is full and holds no job for this id (refused,
 * nothing queued). `force` (used by stop, which must withdraw everything) queues past the limit. */
static int enqueue(instance *in, int withdraw, const announcement *a, int force) {
    job *j = calloc(1, sizeof *j);
    if (j == NULL) return -1;
    j->withdraw = withdraw;
    j->id = strdup(a->id);
    j->env[0] = env_pair("HERALD_ACTION", withdraw ? "withdraw" : "announce");
    int ok = j->id != NULL && j->env[0] != NULL;
    for (size_t i = 0; i < EXEC_ENV_COUNT && a->env[i] != NULL; i++) {
        j->env[i + 1] = strdup(a->env[i]);
        ok = ok && j->env[i + 1] != NULL;
    }
    if (!ok) {
        job_free(j);
        return -1;
    }
    job *superseded = NULL;
    pthread_mutex_lock(&in->lock);
    if (in->queued >= EXEC_QUEUE_LIMIT) {
        job *prev = NULL;
        for (job *q = in->head; q != NULL; prev = q, q = q->next) {
            if (strcmp(q->id, j->id) != 0) continue;
            if (prev) prev->next = q->next;
            else in->head = q->next;
            if (in->tail == q) in->tail = prev;
            superseded = q;
            break;
        }
        if (superseded != NULL) {
            in->queued--;
            in->coalesced++;
        } else if (!force) {
            in->refused++;
            pthread_mutex_unlock(&in->lock);
            job_free(j);
            return -2;
        }
    }
    if (in->tail) in->tail->next = j;
    else in->head = j;
    in->tail = j;
    in->queued++;
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->lock);
    if (superseded != NULL) job_free(superseded);
    return 0;
}

/* The error text of a failed enqueue. */
static herald_status enqueue_error(int rc, const char *id, char *err, size_t cap) {
    if (rc == -2) {
        if (err != NULL && cap > 0)
            snprintf(err, cap,
                     "%s: the command queue is full (%d jobs waiting behind a slow or hung command); "
                     "check the command and its timeoutSeconds",
                     id, EXEC_QUEUE_LIMIT);
    } else {
        set_err(err, cap, "out of memory");
    }
    return HERALD_ERR_RESOURCE;
}

/* ---- The vtable ------------------------------------------------------------------------------------------------ */

static herald_status exec_create(void *factory, const herald_host_api *host, void **out, char *err, size_t cap) {
    (void)factory;
    if (host == NULL || out == NULL) {
        set_err(err, cap, "create: NULL argument");
        return HERALD_ERR_INVALID_ARGUMENT;
    }
    instance *in = calloc(1, sizeof *in);
    if (in == NULL) {
        set_err(err, cap, "out of memory");
        return HERALD_ERR_RESOURCE;
    }
    in->host = host;
    pthread_mutex_init(&in->lock, NULL);
    pthread_cond_init(&in->wake, NULL);
    *out = in;
    return HERALD_OK;
}

static herald_status exec_configure(void *p, const char *json, const herald_node_info *node, char *err, size_t cap) {
    instance *in = p;
    if (in == NULL || json == NULL) {
        set_err(err, cap, "configure: NULL argument");
        return HERALD_ERR_INVALID_ARGUMENT;
    }
    if (in->running) {
        set_err(err, cap, "the exec plugin does not change commands while running; restart the host");
        return HERALD_ERR_UNSUPPORTED;
    }
    exec_config cfg;
    if (exec_config_parse(json, &cfg, err, cap) != 0) return HERALD_ERR_CONFIG;
    if (in->configured) {
        exec_command_free(&in->cfg.announce);
        exec_command_free(&in->cfg.withdraw);
    }
    in->cfg = cfg;
    in->configured = 1;
    free(in->node);
    in->node = strdup(HERALD_HAS_FIELD(node, herald_node_info, name) && node->name ? node->name : "");
    return HERALD_OK;
}

static herald_status exec_start(void *p, char *err, size_t cap) {
    instance *in = p;
    if (in == NULL || !in->configured) {
        set_err(err, cap, "start before configure");
        return HERALD_ERR_STATE;
    }
    if (in->running) return HERALD_OK;
    in->stopping = 0;
    int rc = pthread_create(&in->worker, NULL, worker_main, in);
    if (rc != 0) {
        set_err(err, cap, strerror(rc));
        return HERALD_ERR_RESOURCE;
    }
    in->running = 1;
    return HERALD_OK;
}

static announcement *find(instance *in, const char *id, announcement ***link) {
    announcement **l = &in->active;
    for (; *l != NULL; l = &(*l)->next) {
        if (strcmp((*l)->id, id) == 0) break;
    }
    if (link) *link = l;
    return *l;
}

static void announcement_free(announcement *a) {
    free(a->id);
    free_strings(a->env, EXEC_ENV_COUNT);
    free(a);
}

static herald_status exec_announce(void *p, const herald_announcement *a, char *err, size_t cap) {
    instance *in = p;
    if (in == NULL || !in->running) {
        set_err(err, cap, "announce before start");
        return HERALD_ERR_STATE;
    }
    if (!HERALD_HAS_FIELD(a, herald_announcement, attributes_json) || a->id == NULL || a->address_text == NULL) {
        set_err(err, cap, "announce: malformed announcement");
        return HERALD_ERR_INVALID_ARGUMENT;
    }
    char services[2048] = "";
    size_t used = 0;
    for (size_t i = 0; i < a->service_count && a->services != NULL; i++) {
        int n = snprintf(services + used, sizeof services - used, "%s%s", i ? "," : "", a->services[i] ? a->services[i] : "");
        if (n < 0 || (size_t)n >= sizeof services - used) break;
        used += (size_t)n;
    }
    char length[8];
    snprintf(length, sizeof length, "%u", (unsigned)a->prefix_length);
    const char *adv = HERALD_HAS_FIELD(a, herald_announcement, advertisement) && a->advertisement ? a->advertisement : "";

    announcement *entry = calloc(1, sizeof *entry);
    if (entry == NULL) return HERALD_ERR_RESOURCE;
    entry->id = strdup(a->id);
    entry->env[0] = env_pair("HERALD_ID", a->id);
    entry->env[1] = env_pair("HERALD_ADDRESS", a->address_text);
    entry->env[2] = env_pair("HERALD_PREFIX_LENGTH", length);
    entry->env[3] = env_pair("HERALD_FAMILY", a->family == HERALD_FAMILY_IPV6 ? "ipv6" : "ipv4");
    entry->env[4] = env_pair("HERALD_SERVICES", services);
    entry->env[5] = env_pair("HERALD_ATTRIBUTES", a->attributes_json ? a->attributes_json : "{}");
    entry->env[6] = env_pair("HERALD_ADVERTISEMENT", adv);
    entry->env[7] = env_pair("HERALD_NODE", in->node);
    entry->env[8] = env_pair("PATH", getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
    size_t next = 9;
    if (getenv("HOME")) entry->env[next++] = env_pair("HOME", getenv("HOME"));
    if (getenv("LANG")) entry->env[next++] = env_pair("LANG", getenv("LANG"));
    for (size_t i = 0; i < next; i++) {
        if (entry->env[i] == NULL || entry->id == NULL) {
            announcement_free(entry);
            set_err(err, cap, "out of memory");
            return HERALD_ERR_RESOURCE;
        }
    }
    announcement **link;
    announcement *old = find(in, a->id, &link);
    if (old != NULL) {
        int same = 1;
        for (size_t i = 0; i < EXEC_ENV_COUNT; i++) {
            const char *x = old->env[i], *y = entry->env[i];
            if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0)) same = 0;
        }
        if (same) { /* idempotent: nothing to run */
            announcement_free(entry);
            return HERALD_OK;
        }
    }
    /* Queue first: a refused job leaves the announcement as it was, so the host's retry finds the same state. */
    int rc = enqueue(in, 0, entry, 0);
    if (rc != 0) {
        announcement_free(entry);
        return enqueue_error(rc, a->id, err, cap);
    }
    if (old != NULL) {
        entry->next = old->next;
        *link = entry;
        announcement_free(old);
    } else {
        entry->next = in->active;
        in->active = entry;
    }
    return HERALD_OK;
}

static herald_status exec_withdraw(void *p, const char *id, char *err, size_t cap) {
    instance *in = p;
    if (in == NULL || id == NULL) {
        set_err(err, cap, "withdraw: NULL argument");
        return HERALD_ERR_INVALID_ARGUMENT;
    }
    if (!in->running) {
        set_err(err, cap, "withdraw before start");
        return HERALD_ERR_STATE;
    }
    announcement **link;
    announcement *a = find(in, id, &link);
    if (a == NULL) return HERALD_OK; /* unknown ids are not an error */
    int rc = enqueue(in, 1, a, 0);
    if (rc != 0) return enqueue_error(rc, id, err, cap); /* still announced: the host tries again */
    *link = a->next;
    announcement_free(a);
    return HERALD_OK;
}

static int32_t exec_health(void *p, char *detail, size_t cap) {
    instance *in = p;
    if (in == NULL) return HERALD_HEALTH_UNHEALTHY;
    pthread_mutex_lock(&in->lock);
    int failed = in->last_failed;
    if (failed && detail != NULL && cap > 0) snprintf(detail, cap, "%s", in->last_error);
    pthread_mutex_unlock(&in->lock);
    return failed ? HERALD_HEALTH_DEGRADED : HERALD_HEALTH_OK;
}

static void exec_collect_metrics(void *p, const herald_metrics_sink *sink) {
    instance *in = p;
    if (in == NULL || sink == NULL || sink->emit == NULL) return;
    size_t active = 0;
    for (announcement *a = in->active; a != NULL; a = a->next) active++;
    pthread_mutex_lock(&in->lock);
    double runs = (double)in->runs, failures = (double)in->failures, queued = (double)in->queued;
    double coalesced = (double)in->coalesced, refused = (double)in->refused;
    pthread_mutex_unlock(&in->lock);
    sink->emit(sink->context, HERALD_METRIC_COUNTER, "exec_commands_total", "Commands run", NULL, 0, runs);
    sink->emit(sink->context, HERALD_METRIC_COUNTER, "exec_command_failures_total", "Commands that failed or timed out",
               NULL, 0, failures);
    sink->emit(sink->context, HERALD_METRIC_GAUGE, "exec_queue_length", "Commands waiting to run", NULL, 0, queued);
    sink->emit(sink->context, HERALD_METRIC_GAUGE, "exec_active_announcements", "Addresses announced", NULL, 0,
               (double)active);
    sink->emit(sink->context, HERALD_METRIC_COUNTER, "exec_queue_coalesced_total",
               "Waiting commands replaced by a later action for the same id while the queue was full", NULL, 0,
               coalesced);
    sink->emit(sink->context, HERALD_METRIC_COUNTER, "exec_queue_refused_total",
               "Announces and withdraws refused because the queue was full", NULL, 0, refused);
}

static void exec_stop(void *p) {
    instance *in = p;
    if (in == NULL || !in->running) return;
    /* Withdraw everything still announced, then let the worker drain the queue and exit. */
    while (in->active != NULL) {
        announcement *a = in->active;
        in->active = a->next;
        enqueue(in, 1, a, 1);
        announcement_free(a);
    }
    pthread_mutex_lock(&in->lock);
    in->stopping = 1;
    pthread_cond_signal(&in->wake);
    pthread_mutex_unlock(&in->lock);
    pthread_join(in->worker, NULL);
    in->running = 0;
}

static void exec_destroy(void *p) {
    instance *in = p;
    if (in == NULL) return;
    exec_stop(in);
    while (in->active != NULL) {
        announcement *a = in->active;
        in->active = a->next;
        announcement_free(a);
    }
    while (in->head != NULL) {
        job *j = in->head;
        in->head = j->next;
        job_free(j);
    }
    if (in->configured) {
        exec_command_free(&in->cfg.announce);
        exec_command_free(&in->cfg.withdraw);
    }
    free(in->node);
    pthread_cond_destroy(&in->wake);
    pthread_mutex_destroy(&in->lock);
    free(in);
}

static const herald_plugin_vtable exec_vtable = {
    .struct_size = sizeof(herald_plugin_vtable),
    .create = exec_create,
    .configure = exec_configure,
    .start = exec_start,
    .announce = exec_announce,
    .withdraw = exec_withdraw,
    .health = exec_health,
    .collect_metrics = exec_collect_metrics,
    .stop = exec_stop,
    .destroy = exec_destroy,
    .get_extension = NULL,
};

static const char *const exec_protocols[] = {"exec"};

static const herald_plugin_descriptor exec_descriptor = {
    .struct_size = sizeof(herald_plugin_descriptor),
    .abi_major = HERALD_ABI_MAJOR,
    .abi_minor = HERALD_ABI_MINOR,
    .id = "dev.herald.exec",
    .name = "Exec announcer",
    .version = "1.0.0",
    .description = "Runs an operator's command on announce and withdraw, with the details in HERALD_* variables.",
    .protocols = exec_protocols,
    .protocol_count = 1,
    .flags = HERALD_PLUGIN_ROUTED,
    .vtable = &exec_vtable,
    .factory_context = NULL,
};

HERALD_PLUGIN_EXPORT const herald_plugin_descriptor *herald_plugin_entry_v1(uint32_t host_abi_major,
                                                                            uint32_t host_abi_minor) {
    (void)host_abi_minor;
    return host_abi_major == HERALD_ABI_MAJOR ? &exec_descriptor : NULL;
}
