/*
 * herald_plugin.h — the Herald plugin ABI, version 1.
 *
 * This header is the only contract between the Herald host and a plugin. A plugin is a shared library that exports
 * exactly one function, `herald_plugin_entry_v1`. Everything else travels through the tables declared here.
 *
 * VERSIONING
 *   HERALD_ABI_MAJOR must match exactly: the host refuses a plugin with another major, and a plugin refuses a host
 *   with another major by returning NULL from its entry. Minor versions only ever append fields to the END of a struct
 *   and never change the meaning of an existing field. Every struct that crosses the boundary begins with
 *   `uint32_t struct_size`, set by whoever fills the struct to `sizeof` the struct as that side was compiled. A reader
 *   treats every field that starts at or past `struct_size` as absent (zero / NULL). Use HERALD_HAS_FIELD to test.
 *
 * OWNERSHIP
 *   - Every pointer passed as an argument is borrowed for the duration of the call only. Copy what you keep.
 *   - The descriptor and the vtable returned by the entry function live until the process exits. The host never
 *     unloads a plugin (it loads with RTLD_NODELETE); a plugin must not rely on destructors at unload.
 *   - The host API table (`herald_host_api`) and its `context` stay valid from `create` until `destroy` returns.
 *   - Nothing is allocated on one side and freed on the other. Error text is written into a caller-owned buffer
 *     (`err`, `err_cap` bytes, always NUL-terminated by the writer, truncated if needed; `err` may be NULL when
 *     `err_cap` is 0).
 *
 * THREADING
 *   - The host never calls into one plugin instance concurrently: calls on an instance are serialised, but they may
 *     come from different threads over time. Different instances may be called concurrently.
 *   - Every function in `herald_host_api` is thread-safe and may be called from any thread, including threads the
 *     plugin creates, at any time between `create` returning and `destroy` returning.
 *   - A plugin call never blocks on network I/O: do it on your own thread and report outcomes through
 *     `emit_event` / `report_health`. Calls should return within milliseconds.
 *
 * TRUST
 *   A plugin runs inside the host process with the host's privileges. Only install plugins you trust as you trust
 *   the host itself. The host checks file ownership and permissions before loading, not behaviour.
 */
#ifndef HERALD_PLUGIN_H
#define HERALD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Versions ------------------------------------------------------------------------------------------------- */

#define HERALD_ABI_MAJOR 1
#define HERALD_ABI_MINOR 0

/* The one symbol a plugin exports. The major version is part of its name. */
#define HERALD_PLUGIN_ENTRY_SYMBOL "herald_plugin_entry_v1"

/* Marks the entry point for export, so that a plugin built with -fvisibility=hidden (recommended: nothing else of
 * the plugin should be visible) still exports it. A version script or export list that omits the symbol hides it
 * anyway; the host then refuses the library and says so. */
#if defined(__GNUC__) || defined(__clang__)
#define HERALD_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define HERALD_PLUGIN_EXPORT
#endif

/* True when a struct filled by the other side (whose first field is struct_size) contains FIELD. */
#define HERALD_HAS_FIELD(ptr, type, field) \
    ((ptr) != NULL && (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* ---- Status codes --------------------------------------------------------------------------------------------- */

typedef int32_t herald_status;

#define HERALD_OK 0
/* An argument was NULL, malformed or out of range. */
#define HERALD_ERR_INVALID_ARGUMENT -1
/* The instance's configuration was rejected; `err` says which key and why. */
#define HERALD_ERR_CONFIG -2
/* The call is not valid in the instance's current state (for example announce before start). */
#define HERALD_ERR_STATE -3
/* The instance does not support this (for example a second configure). */
#define HERALD_ERR_UNSUPPORTED -4
/* The operating system refused something (socket, interface, permission). */
#define HERALD_ERR_IO -5
/* A resource limit was reached (too many announcements, memory). */
#define HERALD_ERR_RESOURCE -6
/* A bug: an internal invariant failed. The host marks the instance failed. */
#define HERALD_ERR_INTERNAL -7

/* ---- Small shared types --------------------------------------------------------------------------------------- */

/* A key/value pair of NUL-terminated UTF-8 strings (node labels, metric labels). */
typedef struct herald_kv {
    const char *key;
    const char *value;
} herald_kv;

/* Log levels for herald_host_api.log. */
#define HERALD_LOG_TRACE 0
#define HERALD_LOG_DEBUG 1
#define HERALD_LOG_INFO 2
#define HERALD_LOG_NOTICE 3
#define HERALD_LOG_WARNING 4
#define HERALD_LOG_ERROR 5

/* Health states, for herald_plugin_vtable.health and herald_host_api.report_health. An exclusive (L2) plugin that
 * reports UNHEALTHY makes its node ineligible for the addresses it would announce. */
#define HERALD_HEALTH_OK 0
#define HERALD_HEALTH_DEGRADED 1
#define HERALD_HEALTH_UNHEALTHY 2

/* Event types for herald_host_api.emit_event (mirrors Kubernetes Event types). */
#define HERALD_EVENT_NORMAL 0
#define HERALD_EVENT_WARNING 1

/* Metric kinds for herald_metrics_sink.emit. */
#define HERALD_METRIC_COUNTER 0
#define HERALD_METRIC_GAUGE 1

/* Address families in herald_announcement.family. */
#define HERALD_FAMILY_IPV4 4
#define HERALD_FAMILY_IPV6 6

/* Descriptor flags. Exactly one of EXCLUSIVE or ROUTED is set. */
/* Layer-2 style: the host elects one node per address; only that node's instance is told to announce it. */
#define HERALD_PLUGIN_EXCLUSIVE 0x1u
/* Routed style: every eligible node announces. */
#define HERALD_PLUGIN_ROUTED 0x2u

/* ---- What the host tells a plugin ----------------------------------------------------------------------------- */

/* The node this host runs on. Borrowed for the call. */
typedef struct herald_node_info {
    uint32_t struct_size;
    const char *name;                 /* Kubernetes node name (or the configured name without a cluster) */
    const herald_kv *labels;          /* label_count pairs */
    size_t label_count;
    const char *const *addresses;     /* address_count textual IP addresses of the node (InternalIP first) */
    size_t address_count;
} herald_node_info;

/* One address to announce. Borrowed for the call; copy what you keep. */
typedef struct herald_announcement {
    uint32_t struct_size;
    /* Stable id for this announcement. The same id is later passed to withdraw. An announce for an id that is already
     * announced replaces it (for example new attributes); the plugin makes that transition without a gap. */
    const char *id;
    uint8_t family;                   /* HERALD_FAMILY_IPV4 or HERALD_FAMILY_IPV6 */
    uint8_t prefix_length;            /* 0...32 or 0...128; aggregation already applied */
    uint8_t reserved[2];
    uint8_t address[16];              /* network byte order; IPv4 uses the first 4 bytes */
    const char *address_text;         /* the same address as text, e.g. "192.0.2.10" or "2001:db8::10" */
    const char *const *services;      /* service_count "namespace/name" strings this address serves */
    size_t service_count;
    /* The advertisement's attributes as a JSON object (never NULL; "{}" when there are none): communities,
     * localPreference, interfaces... Which keys mean something is up to the plugin. */
    const char *attributes_json;
    const char *advertisement;        /* name of the advertisement that produced this announcement */
} herald_announcement;

/* Receives metrics from herald_plugin_vtable.collect_metrics. Borrowed for that call only. */
typedef struct herald_metrics_sink {
    uint32_t struct_size;
    void *context;
    /* name: [a-z_][a-z0-9_]*; the host exports it as "herald_" + name with an added label instance="<instance>"
     * (arp_replies_total becomes herald_arp_replies_total{instance="arp",…}). help may be NULL. */
    void (*emit)(void *context, int32_t kind, const char *name, const char *help, const herald_kv *labels,
                 size_t label_count, double value);
} herald_metrics_sink;

/* ---- The host's side: callbacks a plugin may use --------------------------------------------------------------- */

/* Valid from create until destroy returns. Every function is thread-safe and may be called from plugin threads.
 * The host attributes everything to the calling instance through `context`; always pass it back unchanged. */
typedef struct herald_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    void *context;
    /* A log line (one line, UTF-8, no trailing newline). The host rate-limits and attributes it. */
    void (*log)(void *context, int32_t level, const char *message);
    /* Something happened that an operator should see (a BGP session went down, an interface vanished).
     * reason: CamelCase, e.g. "PeerDown". announcement_id: the related announcement, or NULL. */
    void (*emit_event)(void *context, int32_t type, const char *reason, const char *message,
                       const char *announcement_id);
    /* Push a change of data-plane health (the host also polls herald_plugin_vtable.health). detail may be NULL.
     * A report equal to the previous one (same state and detail) is dropped: the host neither logs it nor acts on
     * it, so a plugin may report on every check without flooding the log. */
    void (*report_health)(void *context, int32_t state, const char *detail);
    /* An optional host feature by versioned id ("herald.host.something/1"), or NULL when unsupported. */
    const void *(*get_extension)(void *context, const char *extension_id);
} herald_host_api;

/* ---- The plugin's side ---------------------------------------------------------------------------------------- */

/* Every function is called with instance calls serialised. `instance` is what create stored in *out_instance. */
typedef struct herald_plugin_vtable {
    uint32_t struct_size;

    /* Make a new instance. `factory_context` is the descriptor's factory_context. `host` stays valid until destroy
     * returns. Store the new instance in *out_instance. No I/O should start here. */
    herald_status (*create)(void *factory_context, const herald_host_api *host, void **out_instance, char *err,
                            size_t err_cap);

    /* Hand over the instance's configuration (the `config` mapping of its plugins.d file, as JSON text; "{}" when
     * absent) and the node it runs on. Called once before start. A plugin that accepts a new configuration while
     * started applies it atomically; one that does not returns HERALD_ERR_UNSUPPORTED. On error nothing changes. */
    herald_status (*configure)(void *instance, const char *config_json, const herald_node_info *node, char *err,
                               size_t err_cap);

    /* Begin work: open sockets, start threads. After start, announce and withdraw may be called. */
    herald_status (*start)(void *instance, char *err, size_t err_cap);

    /* Announce an address (see herald_announcement). Idempotent for an identical announcement. */
    herald_status (*announce)(void *instance, const herald_announcement *announcement, char *err, size_t err_cap);

    /* Stop announcing the address with this id. Withdrawing an unknown id is not an error (returns HERALD_OK). */
    herald_status (*withdraw)(void *instance, const char *announcement_id, char *err, size_t err_cap);

    /* Current data-plane health: returns a HERALD_HEALTH_* value and may write a reason into detail. Optional. */
    int32_t (*health)(void *instance, char *detail, size_t detail_cap);

    /* Emit the instance's metrics into sink. Optional. */
    void (*collect_metrics)(void *instance, const herald_metrics_sink *sink);

    /* Withdraw everything, stop threads and close sockets. Returns after all plugin threads stopped calling the
     * host. Idempotent: a second stop, or a stop before start, does nothing. After a successful
     * prepare_stop(HERALD_STOP_RESTART) (extension "herald.lifecycle/1"), leave in the network what the protocol keeps
     * through a restart instead. */
    void (*stop)(void *instance);

    /* Free the instance. The host calls stop first. After destroy returns, the instance pointer and host table are
     * dead. */
    void (*destroy)(void *instance);

    /* An optional plugin feature by versioned id (HERALD_EXT_LIFECYCLE, "herald.lifecycle/1"), or NULL. The pointer
     * lives as long as the instance. Optional slot. */
    const void *(*get_extension)(void *instance, const char *extension_id);
} herald_plugin_vtable;

/* ---- Extension "herald.lifecycle/1": why the instance stops --------------------------------------------------- */

/* Offered by a plugin through vtable.get_extension(instance, HERALD_EXT_LIFECYCLE). A plugin without it is stopped
 * as for good, every time. The host asks routed plugins only: an exclusive plugin's addresses move to another node
 * the moment the host stops, so it always withdraws. */
#define HERALD_EXT_LIFECYCLE "herald.lifecycle/1"

/* The node stops announcing for good (the default): withdraw everything where the network holds it. */
#define HERALD_STOP_FINAL 0
/* The process restarts and will be back within the protocol's grace period (a rolling upgrade): where the protocol
 * lets the network keep this node's announcements meanwhile (BGP graceful restart), keep them; withdraw the rest. */
#define HERALD_STOP_RESTART 1

typedef struct herald_lifecycle_ext {
    uint32_t struct_size;
    /* Says why the next `stop` happens. Called on the instance like any other call (serialised, with a deadline),
     * after start and before stop. Returns HERALD_OK when the instance will leave at least some of its announcements
     * in the network through this stop (the host then calls stop without withdrawing them first), or
     * HERALD_ERR_UNSUPPORTED when it will withdraw everything (the host withdraws each announcement, then stops).
     * A later call replaces an earlier one. */
    herald_status (*prepare_stop)(void *instance, int32_t reason, char *err, size_t err_cap);
} herald_lifecycle_ext;

/* What a plugin is. Returned by the entry function; lives until process exit. */
typedef struct herald_plugin_descriptor {
    uint32_t struct_size;
    uint16_t abi_major;               /* HERALD_ABI_MAJOR the plugin was built against */
    uint16_t abi_minor;               /* HERALD_ABI_MINOR the plugin was built against */
    const char *id;                   /* unique reverse-DNS id, e.g. "dev.herald.arp" */
    const char *name;                 /* short human name, e.g. "ARP announcer" */
    const char *version;              /* the plugin's own version, e.g. "1.2.0" */
    const char *description;          /* one sentence, may be NULL */
    const char *const *protocols;     /* protocol_count names, e.g. "arp", "bgp" */
    size_t protocol_count;
    uint32_t flags;                   /* HERALD_PLUGIN_EXCLUSIVE or HERALD_PLUGIN_ROUTED */
    const herald_plugin_vtable *vtable;
    void *factory_context;            /* passed to vtable->create, owned by the plugin */
} herald_plugin_descriptor;

/* The entry point. The host passes its own ABI version; the plugin returns its descriptor, or NULL to refuse
 * (for example a host major it does not know). May be called more than once; must return the same pointer. */
HERALD_PLUGIN_EXPORT const herald_plugin_descriptor *herald_plugin_entry_v1(uint32_t host_abi_major,
                                                                            uint32_t host_abi_minor);

/* The smallest struct_size the host accepts from a plugin: the fields every 1.x plugin must fill. Fields after these
 * (factory_context; vtable.get_extension) are optional and read as NULL when a plugin's struct_size ends before them. */
#define HERALD_DESCRIPTOR_MIN_SIZE (offsetof(herald_plugin_descriptor, vtable) + sizeof(void *))
#define HERALD_VTABLE_MIN_SIZE (offsetof(herald_plugin_vtable, destroy) + sizeof(void *))

typedef const herald_plugin_descriptor *(*herald_plugin_entry_fn)(uint32_t host_abi_major, uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif

#endif /* HERALD_PLUGIN_H */
