#ifndef CRISYNC_PROCESS_EXIT_H
#define CRISYNC_PROCESS_EXIT_H

#include <sys/types.h>

/// pidfd_open(2) (Linux 5.3): a descriptor bound to one process, which polls readable once that
/// process has exited. -1 with errno set on failure (ESRCH: no such process; ENOSYS: too old a kernel).
int crisync_pidfd_open(pid_t pid);

/// An epoll instance (close-on-exec) that watches process descriptors. -1 with errno on failure.
int crisync_exit_watch_create(void);

/// Watches `pidfd`, reported by crisync_exit_watch_exited as `pid`. 0, or -1 with errno.
int crisync_exit_watch_add(int watch, int pidfd, pid_t pid);

/// The PIDs of watched processes that have exited, at most `capacity`, without waiting (level-
/// triggered: an exited process is reported until its descriptor is closed). The count, or -1 with errno.
int crisync_exit_watch_exited(int watch, pid_t *pids, int capacity);

#endif
