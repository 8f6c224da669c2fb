/*
 * Reads the exec plugin's configuration (JSON text, which is YAML) with libyaml.
 */
#define _POSIX_C_SOURCE 200809L
#include "exec_plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static void set_error(char *err, size_t cap, const char *fmt, const char *a, const char *b) {
    if (err != NULL && cap > 0) snprintf(err, cap, fmt, a, b);
}

static char *scalar_text(yaml_node_t *node) {
    return strndup((const char *)node->data.scalar.value, node->data.scalar.length);
}

void exec_command_free(exec_command *cmd) {
    if (cmd->argv != NULL) {
        for (size_t i = 0; cmd->argv[i] != NULL; i++) free(cmd->argv[i]);
        free(cmd->argv);
    }
    cmd->argv = NULL;
}

/* A command is a list of strings (argv, run directly) or one string (run with /bin/sh -c). */
static int read_command(yaml_document_t *doc, yaml_node_t *node, const char *key, exec_command *out, char *err,
                        size_t cap) {
    if (node->type == YAML_SCALAR_NODE) {
        if (node->data.scalar.length == 0) {
            set_error(err, cap, "config.%s: the command is empty%s", key, "");
            return -1;
        }
        out->argv = calloc(4, sizeof(char *));
        if (out->argv == NULL) return -1;
        out->argv[0] = strdup("/bin/sh");
        out->argv[1] = strdup("-c");
        out->argv[2] = scalar_text(node);
        return 0;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        set_error(err, cap, "config.%s: expected a list of strings (argv) or one shell command string%s", key, "");
        return -1;
    }
    size_t count = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    if (count == 0 || count > 256) {
        set_error(err, cap, "config.%s: the argv list must have 1 to 256 items%s", key, "");
        return -1;
    }
    out->argv = calloc(count + 1, sizeof(char *));
    if (out->argv == NULL) return -1;
    for (size_t i = 0; i < count; i++) {
        yaml_node_t *item = yaml_document_get_node(doc, node->data.sequence.items.start[i]);
        if (item == NULL || item->type != YAML_SCALAR_NODE) {
            set_error(err, cap, "config.%s: every argv item must be a string%s", key, "");
            return -1;
        }
        out->argv[i] = scalar_text(item);
    }
    if (out->argv[0][0] != '/') {
        set_error(err, cap, "config.%s: the program \"%s\" must be an absolute path", key, out->argv[0]);
        return -1;
    }
    return 0;
}

int exec_config_parse(const char *json, exec_config *cfg, char *err, size_t cap) {
    memset(cfg, 0, sizeof(*cfg));
    cfg->timeout_seconds = 30;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) {
        set_error(err, cap, "cannot initialise libyaml%s%s", "", "");
        return -1;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)json, strlen(json));
    if (!yaml_parser_load(&parser, &doc)) {
        set_error(err, cap, "config is not valid JSON/YAML: %s%s", parser.problem ? parser.problem : "?", "");
        yaml_parser_delete(&parser);
        return -1;
    }
    int rc = -1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        set_error(err, cap, "config must be a mapping with announce and withdraw commands%s%s", "", "");
        goto done;
    }
    for (yaml_node_pair_t *pair = root->data.mapping.pairs.start; pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *k = yaml_document_get_node(&doc, pair->key);
        yaml_node_t *v = yaml_document_get_node(&doc, pair->value);
        if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) continue;
        char *key = scalar_text(k);
        int bad = 0;
        if (strcmp(key, "announce") == 0) {
            bad = read_command(&doc, v, key, &cfg->announce, err, cap);
        } else if (strcmp(key, "withdraw") == 0) {
            bad = read_command(&doc, v, key, &cfg->withdraw, err, cap);
        } else if (strcmp(key, "timeoutSeconds") == 0) {
            char *text = v->type == YAML_SCALAR_NODE ? scalar_text(v) : NULL;
            char *end = NULL;
            errno = 0;
            long n = text ? strtol(text, &end, 10) : -1;
            if (text == NULL || *end != '\0' || errno != 0 || n < 1 || n > 3600) {
                set_error(err, cap, "config.timeoutSeconds: expected an integer from 1 to 3600, found \"%s\"%s",
                          text ? text : "a non-scalar", "");
                bad = -1;
            } else {
                cfg->timeout_seconds = (int)n;
            }
            free(text);
        } else {
            set_error(err, cap, "unknown key \"config.%s\" (known keys: announce, withdraw, timeoutSeconds)%s", key, "");
            bad = -1;
        }
        free(key);
        if (bad) goto done;
    }
    if (cfg->announce.argv == NULL || cfg->withdraw.argv == NULL) {
        set_error(err, cap, "config.%s: required key is missing%s", cfg->announce.argv == NULL ? "announce" : "withdraw",
                  "");
        goto done;
    }
    rc = 0;
done:
    if (rc != 0) {
        exec_command_free(&cfg->announce);
        exec_command_free(&cfg->withdraw);
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}
