"""Capabilities under the Landlock backend (no namespaces there to hide behind).

Commands lose every capability. Run as root they could otherwise load kernel modules or
change mounts, and CAP_SYS_PTRACE lets them past Landlock's ptrace scoping: with it, a command
could read `/proc/<pid>/environ` of pycodex (the model's API key) despite the sandbox.
"""

from __future__ import annotations

import ctypes
import errno

PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class PrivilegeError(OSError):
    """Capabilities could not be dropped; the caller must not run the command."""


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _last_cap() -> int:
    try:
        with open("/proc/sys/kernel/cap_last_cap", encoding="ascii") as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return 63


def drop_all_capabilities() -> None:
    """Empty the bounding, ambient, inheritable, permitted and effective sets of this process."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(_last_cap() + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            err = ctypes.get_errno()
            if err == errno.EINVAL:
                break  # past the kernel's last capability
            if err != errno.EPERM:  # EPERM: we never had CAP_SETPCAP, so nothing to drop
                raise PrivilegeError(err, f"dropping capability {cap} failed")
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise PrivilegeError(ctypes.get_errno(), "capset failed")

