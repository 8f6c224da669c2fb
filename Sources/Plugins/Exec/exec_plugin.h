/* Internal declarations of the exec plugin. */
#ifndef HERALD_EXEC_PLUGIN_H
#define HERALD_EXEC_PLUGIN_H

#include <stddef.h>

#include "herald_plugin.h"

typedef struct exec_command {
    char **argv; /* NULL-terminated */
} exec_command;

typedef struct exec_config {
    exec_command announce;
    exec_command withdraw;
    int timeout_seconds;
} exec_config;

int exec_config_parse(const char *json, exec_config *cfg, char *err, size_t cap);
void exec_command_free(exec_command *cmd);

#endif
