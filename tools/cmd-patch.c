/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oemkvm patch [--store DIR] [FILE]: the offline filter — a domain XML from
 * FILE or stdin, patched to match its <oemkvm:config>, on stdout.  No
 * libvirt connection.  On an error nothing reaches stdout, so
 * `oemkvm patch < a > b` never leaves half a definition in b.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

#define PATCH_USAGE "[--store DIR] [FILE]"
#define INPUT_MAX (16u << 20)

static int read_input(FILE *f, const char *name, char **ret, size_t *ret_len)
{
        size_t len = 0, cap = 65536;
        char *buf = malloc(cap);

        if (!buf)
                return -ENOMEM;
        for (;;) {
                size_t n = fread(buf + len, 1, cap - len, f);

                len += n;
                if (n == 0)
                        break;
                if (len == cap) {
                        char *nbuf;

                        if (cap >= INPUT_MAX) {
                                free(buf);
                                tool_error("%s is larger than %u bytes; not a domain XML", name, INPUT_MAX);
                                return -EFBIG;
                        }
                        cap *= 2;
                        nbuf = realloc(buf, cap);
                        if (!nbuf) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nbuf;
                }
        }
        if (ferror(f)) {
                int r = -errno;

                free(buf);
                tool_error("cannot read %s: %s", name, strerror(-r));
                return r;
        }
        *ret = buf;
        *ret_len = len;
        return 0;
}

/*
 * Straight to the file descriptor: stdio's buffer, the first allocation
 * after the engine freed the document, made malloc consolidate every
 * freed chunk first (6 % of patching a domain of 5,000 devices).
 */
static int write_out(const char *s, size_t len)
{
        while (len > 0) {
                ssize_t n = write(STDOUT_FILENO, s, len);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0) {
                        errno = n < 0 ? errno : EIO;
                        return -1;
                }
                s += n;
                len -= (size_t)n;
        }
        return 0;
}

int cmd_patch(int argc, char **argv)
{
        static const struct option options[] = {
                { "store", required_argument, NULL, 's' },
                { "help",  no_argument,       NULL, 'h' },
                {}
        };
        struct oemkvm_error err = {};
        struct oemkvm_patch_result res = {};
        struct oemkvm_ctx *ctx = NULL;
        const char *store = NULL, *name = "standard input";
        char *xml = NULL;
        size_t len = 0;
        FILE *f = stdin;
        int c, r, rc = 1;

        while ((c = getopt_long(argc, argv, "s:h", options, NULL)) >= 0)
                switch (c) {
                case 's':
                        store = optarg;
                        break;
                case 'h':
                        printf("Usage: oemkvm patch " PATCH_USAGE "\n\n"
                               "Patch a libvirt domain XML (FILE, or standard input) to match its\n"
                               "<oemkvm:config> tag and write it to standard output.  Untagged input\n"
                               "is echoed unchanged.  See oemkvm(7).\n\n"
                               "  -s, --store DIR  the dump directory <oemkvm:license/> names\n"
                               "                   (default %s)\n"
                               "  -h, --help       this text\n",
                               oemkvm_default_store_dir());
                        return 0;
                default:
                        return tool_usage_error("patch", PATCH_USAGE);
                }
        if (argc - optind > 1)
                return tool_usage_error("patch", PATCH_USAGE);

        if (optind < argc && strcmp(argv[optind], "-")) {
                name = argv[optind];
                f = fopen(name, "re");
                if (!f) {
                        tool_error("cannot open '%s': %s", name, strerror(errno));
                        return 1;
                }
        }
        r = read_input(f, name, &xml, &len);
        if (f != stdin)
                fclose(f);
        if (r < 0) {
                if (r == -ENOMEM)
                        tool_error("out of memory");
                return 1;
        }

        ctx = tool_ctx_new(NULL);
        if (!ctx)
                goto out;
        if (store && oemkvm_ctx_set_store_dir(ctx, store) < 0) {
                tool_error("--store '%s': give an absolute directory", store);
                goto out;
        }

        r = oemkvm_patch(ctx, xml, len, &res, &err);
        if (r < 0) {
                tool_report(&err, r);
                goto out;
        }
        if (res.flags & OEMKVM_PATCH_BUS_SWITCHED)
                tool_error("warning: a disk moved to SCSI — a Windows installed on SATA/IDE boots from it only once the vioscsi driver is installed");
        if (write_out(res.xml, res.len) < 0) {
                tool_error("cannot write the patched XML: %s", strerror(errno));
                goto out;
        }
        rc = 0;
out:
        oemkvm_patch_result_clear(&res);
        oemkvm_ctx_free(ctx);
        free(xml);
        return rc;
}
