/* weft check -- CMD: follows the command and its descendants. Each exec
 * that is a test process (a Go test binary, a file run by Node's test
 * runner, a binary holding --txn's symbol or weft.h markers) is stopped
 * before its first instruction, gets its own session (a forked weft, like
 * -p), and is continued once attached. The verdicts, JUnit suites and
 * JSON reports are merged; the exit status is the whole run's. */
#ifndef WEFT_FOLLOW_H_USER
#define WEFT_FOLLOW_H_USER

#include "opts.h"

int follow__check(struct opts *o);

#endif
