/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The console in front of the user before the guest runs.  Windows' UEFI
 * media wait a few seconds for "Press any key to boot from CD or DVD" and
 * then give up; a console opened a moment too late shows a firmware shell
 * instead of Setup.  So the domain starts paused, the console opens, and
 * the guest runs only once libvirt reports the viewer's connection
 * (VIR_DOMAIN_EVENT_ID_GRAPHICS) — or the user says so on a terminal.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "virt.h"
#include "install.h"

/* How long a viewer may take to connect before the guest runs anyway. */
#define CONNECT_WAIT_MS 60000
#define TICK_MS 250

struct console_wait {
        virDomainPtr dom;
        pid_t viewer;
        bool connected;
        bool viewer_gone;
        int waited_ms;
};

static void on_graphics(virConnectPtr conn, virDomainPtr dom, int phase,
                        const virDomainEventGraphicsAddress *local,
                        const virDomainEventGraphicsAddress *remote, const char *auth,
                        const virDomainEventGraphicsSubject *subject, void *opaque)
{
        struct console_wait *w = opaque;

        (void)conn, (void)local, (void)remote, (void)auth, (void)subject;
        if (phase != VIR_DOMAIN_EVENT_GRAPHICS_DISCONNECT &&
            !strcmp(virDomainGetName(dom), virDomainGetName(w->dom)))
                w->connected = true;
}

static void on_tick(int timer, void *opaque)
{
        struct console_wait *w = opaque;

        (void)timer;
        w->waited_ms += TICK_MS;
        if (waitpid(w->viewer, NULL, WNOHANG) == w->viewer)
                w->viewer_gone = true;
}

/*
 * The viewer runs in the user's session: under sudo, as the user who ran
 * sudo (their display, their libvirt group), detached from our terminal.
 */
static pid_t viewer_spawn(char *const argv[])
{
        pid_t pid = fork();
        int fd;

        if (pid != 0)
                return pid;
        setsid();
        fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
                dup2(fd, 0);
                dup2(fd, 1);
                dup2(fd, 2);
        }
        if (getuid() == 0 && getenv("SUDO_UID") && getenv("SUDO_GID")) {
                uid_t uid = (uid_t)strtoul(getenv("SUDO_UID"), NULL, 10);
                gid_t gid = (gid_t)strtoul(getenv("SUDO_GID"), NULL, 10);
                struct passwd *pw = getpwuid(uid);

                if (!pw || initgroups(pw->pw_name, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
                        _exit(127);
                setenv("HOME", pw->pw_dir, 1);
                setenv("USER", pw->pw_name, 1);
                setenv("LOGNAME", pw->pw_name, 1);
        }
        execvp(argv[0], argv);
        _exit(127);
}

/* Opens a viewer and waits for it to connect; false when none could be opened. */
static bool viewer_wait(virDomainPtr dom, const char *uri)
{
        const char *name = virDomainGetName(dom);
        char *viewer[] = { "virt-viewer", "--connect", (char *)uri, (char *)name, NULL };
        char *manager[] = { "virt-manager", "--connect", (char *)uri, "--show-domain-console",
                            (char *)name, NULL };
        char **argv = spawn_in_path("virt-viewer") ? viewer : spawn_in_path("virt-manager") ? manager : NULL;
        struct console_wait w = { .dom = dom };
        int cb, timer;

        if (!argv)
                return false;
        cb = virConnectDomainEventRegisterAny(virDomainGetConnect(dom), dom, VIR_DOMAIN_EVENT_ID_GRAPHICS,
                                              EVENT_CALLBACK(on_graphics), &w, NULL);
        if (cb < 0)
                return false;
        w.viewer = viewer_spawn(argv);
        if (w.viewer < 0) {
                virConnectDomainEventDeregisterAny(virDomainGetConnect(dom), cb);
                return false;
        }
        printf("Opening the console (%s); %s starts when it has connected.\n", argv[0], name);
        fflush(stdout);
        timer = virEventAddTimeout(TICK_MS, on_tick, &w, NULL);
        while (!w.connected && !w.viewer_gone && w.waited_ms < CONNECT_WAIT_MS)
                if (virEventRunDefaultImpl() < 0)
                        break;
        if (timer >= 0)
                virEventRemoveTimeout(timer);
        virConnectDomainEventDeregisterAny(virDomainGetConnect(dom), cb);
        if (!w.connected)
                printf("The console did not connect%s; starting %s anyway.\n",
                       w.viewer_gone ? " (the viewer quit)" : " within a minute", name);
        return true;
}

int console_show_and_resume(virDomainPtr dom, const char *uri)
{
        const char *name = virDomainGetName(dom);
        const char *display = getenv("DISPLAY"), *wayland = getenv("WAYLAND_DISPLAY");
        bool shown = false;

        if ((display && *display) || (wayland && *wayland))
                shown = viewer_wait(dom, uri);
        if (!shown && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
                char line[64];

                printf("%s is paused before its first instruction. Open its console now:\n"
                       "    virt-manager --connect %s --show-domain-console %s\n"
                       "and press Enter here to start it: ",
                       name, uri, name);
                fflush(stdout);
                if (!fgets(line, sizeof(line), stdin))
                        putchar('\n');
        }
        return virDomainResume(dom);
}
