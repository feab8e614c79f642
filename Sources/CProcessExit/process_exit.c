// Wrappers Swift cannot call directly: syscall(2) is variadic, and struct epoll_event is packed.
#define _GNU_SOURCE
#include "crisync_process_exit.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int crisync_pidfd_open(pid_t pid) {
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

int crisync_exit_watch_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int crisync_exit_watch_add(int watch, int pidfd, pid_t pid) {
    struct epoll_event event = {.events = EPOLLIN, .data.u64 = (uint64_t)(uint32_t)pid};
    return epoll_ctl(watch, EPOLL_CTL_ADD, pidfd, &event);
}

int crisync_exit_watch_exited(int watch, pid_t *pids, int capacity) {
    if (capacity <= 0) return 0;
    struct epoll_event *events = malloc(sizeof(struct epoll_event) * (size_t)capacity);
    if (events == NULL) {
        errno = ENOMEM;
        return -1;
    }
    int count;
    do {
        count = epoll_wait(watch, events, capacity, 0);
    } while (count < 0 && errno == EINTR);
    for (int i = 0; i < count; i++) pids[i] = (pid_t)(uint32_t)events[i].data.u64;
    free(events);
    return count;
}
