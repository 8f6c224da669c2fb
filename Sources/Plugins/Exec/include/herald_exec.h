/* The exec plugin exports only herald_plugin_entry_v1 (declared in herald_plugin.h). */
#ifndef HERALD_EXEC_H
#define HERALD_EXEC_H
#include "herald_plugin.h"
#endif
