/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 against FIPS 180-4's examples and the padding's edge lengths. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/util.h"

static const char *hex(const void *data, size_t len)
{
        static char out[65];

        sha256_hex(data, len, out);
        return out;
}

TEST(known_digests)
{
        static const char abc448[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        uint8_t *million = malloc(1000000);

        CHECK_STR(hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK_STR(hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK_STR(hex(abc448, strlen(abc448)), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        memset(million, 'a', 1000000);
        CHECK_STR(hex(million, 1000000), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        free(million);
}

TEST(padding_edges)
{
        /* 55, 56 and 64 bytes: the length fits in the last block, just does not, a full block. */
        char a[65];

        memset(a, 'a', sizeof(a));
        CHECK_STR(hex(a, 55), "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
        CHECK_STR(hex(a, 56), "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
        CHECK_STR(hex(a, 64), "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

TESTS(T(known_digests), T(padding_edges))
