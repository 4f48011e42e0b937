"""A seccomp filter that takes the network away (the Landlock backend's network switch).

Landlock restricts TCP bind/connect only from ABI 4 and never UDP or raw sockets, so when the
network must be off the Landlock backend also installs this filter: `socket()` fails with EPERM
for every family but AF_UNIX, and io_uring (which can create sockets itself) is unavailable.
Syscalls of another ABI (x32, 32-bit compat) are refused outright, since their numbers differ.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
AF_UNIX = 1
X32_SYSCALL_BIT = 0x40000000

# arch → (AUDIT_ARCH value, socket nr, io_uring_setup nr)
_ARCHES = {
    "x86_64": (0xC000003E, 41, 425),
    "aarch64": (0xC00000B7, 198, 425),
}


class SeccompError(OSError):
    """The filter could not be installed; the caller must not run the command."""


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def network_filter_program(machine: str) -> bytes:
    """The BPF program (raw sock_filter array) for this machine's architecture."""
    if machine not in _ARCHES:
        raise SeccompError(errno.ENOSYS, f"no seccomp network filter for architecture {machine}")
    arch, nr_socket, nr_io_uring = _ARCHES[machine]
    deny = _RET_ERRNO | errno.EPERM
    prog = [
        _insn(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        _insn(_JEQ_K, 1, 0, arch),
        _insn(_RET_K, 0, 0, deny),  # another ABI: refuse everything
        _insn(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
        _insn(_JGE_K, 0, 1, X32_SYSCALL_BIT),
        _insn(_RET_K, 0, 0, deny),  # x32 numbers
        _insn(_JEQ_K, 0, 1, nr_io_uring),
        _insn(_RET_K, 0, 0, deny),
        _insn(_JEQ_K, 1, 0, nr_socket),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
        _insn(_LD_W_ABS, 0, 0, 16),  # args[0] (low half, little-endian): the family
        _insn(_JEQ_K, 0, 1, AF_UNIX),
        _insn(_RET_K, 0, 0, _RET_ALLOW),
        _insn(_RET_K, 0, 0, deny),
    ]
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_network_filter() -> None:
    """Apply the filter to this process and what it execs; irreversible."""
    program = network_filter_program(platform.machine())
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p).value)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SeccompError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        err = ctypes.get_errno()
        raise SeccompError(err, f"installing the seccomp network filter failed: {errno.errorcode.get(err, err)}")
