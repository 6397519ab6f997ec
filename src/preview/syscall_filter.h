// ConfineToRendering: the preview worker's seccomp filter, installed once start-up is
// over and before the first request is read.
//
// From then on the process may only do what rendering from memory needs: read and
// write its socket and stderr, manage memory, use futexes and clocks, signal itself
// (abort, raise: kill, tkill and tgkill are allowed only when their pid argument is
// the worker's own), and exit. No call that takes a path is allowed (open, openat,
// stat, access, readlink, ...: EPERM), so a worker cannot probe the file system; a
// descriptor it holds can still be examined (fstat). Starting programs, cloning,
// opening sockets and tracing kill it at once (SIGSYS); every other system call fails
// with EPERM, so that a library that looks at a file on an error path (time zone data
// for a log line) fails softly rather than killing the worker. Irreversible; the
// process's threads must not exist yet (the filter applies to the calling thread and
// its future children). Not applied in AddressSanitizer builds, whose runtime needs
// files and ptrace to report.
#pragma once

#include "core/error.h"

namespace pacsport::preview {

// kInternal when the kernel refuses the filter.
Status ConfineToRendering();

}  // namespace pacsport::preview
