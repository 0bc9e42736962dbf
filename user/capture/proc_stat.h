/* /proc/PID/stat and /proc/PID/task/TID/stat, read past the command name
 * (which may hold spaces and parentheses). */
#ifndef WEFT_PROC_STAT_H
#define WEFT_PROC_STAT_H

#include <stddef.h>

/* The fields after "PID (COMM) ", from field 3 (the state) on, in buf;
 * NULL when the file cannot be read (the process is gone). */
const char *proc_stat__fields(const char *path, char *buf, size_t len);

#endif
