/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The fuzz targets' shared part.  Each tests/fuzz/fuzz-NAME.c defines
 * LLVMFuzzerTestOneInput; built with clang -fsanitize=fuzzer it is a
 * libFuzzer binary (`make fuzz`), built with replay.c instead it replays
 * the committed corpus and regression files (`make check`).  A property
 * failure calls fuzz_fail(), which prints one line and aborts, so both
 * libFuzzer and the replay see a crash.
 */
#ifndef OEMKVM_FUZZ_H
#define OEMKVM_FUZZ_H

#ifndef OEMKVM_TEST
#error "fuzz.h is test code; production code must not include it"
#endif

#include <stddef.h>
#include <stdint.h>

#include "oemkvm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "property failed: …" and aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * A store for the engine targets, made once per process under $TMPDIR by
 * tests/lib/patch-store and removed at exit: the golden patch cases' own
 * (a dump, a saved dump with a SLIC, a hand-made recipe, a drivers ISO).
 * Seeds say "@STORE@" for its path, as the golden cases do.
 */
const char *fuzz_store(void);
/* A context whose store is dir. */
struct oemkvm_ctx *fuzz_ctx(const char *dir);
/* data as a NUL-terminated string with every "@STORE@" replaced by the
 * store's path; malloc'd. */
char *fuzz_xml(const uint8_t *data, size_t size, size_t *ret_len);

#endif
