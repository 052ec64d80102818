"""Start one grading kernel inside a sandbox (a standalone script).

Jupyter starts this script instead of the kernel itself:

    python _launch.py CONFIG.json -- python -m ipykernel_launcher -f CONNECTION_FILE ...

It reads the connection file, builds a private view of the file system that
holds only what a kernel needs (the operating system's program folders, the
Python installation, the course's helper package and the data folder, each
read-only, plus an empty ``/tmp``), and runs the kernel there, so that the
students' code cannot find the source notebooks (which hold the hidden tests),
the gradebook, other students' submissions or the grader's configuration.

Modes (chosen by :mod:`course_grader.sandbox`):

``namespaces``
    The grader is root. New mount, PID and IPC namespaces; the new root is a
    tmpfs with read-only bind mounts; then the kernel drops to an
    unprivileged user (``nobody`` by default) with no supplementary groups and
    ``no_new_privs``.
``userns``
    The grader is an ordinary user. The same, inside a new user namespace;
    a second, nested user namespace then locks the mounts and leaves the
    kernel without privileges.
``user``
    Root without namespaces: only the switch to the unprivileged user. The
    grader checks beforehand that this user cannot read anything secret.

The kernel is PID 1 of its own PID namespace, so every process that the
students' code starts dies with it. This file imports only the standard
library and is run by path, so that starting a kernel costs no imports.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
import tempfile

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000

MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
# statvfs flags that a read-only remount must keep (they equal the MS_ values).
_KEEP_FLAGS = 1 | 2 | 4 | 8 | 16 | 64 | 1024 | 2048 | 4096

PR_SET_PDEATHSIG = 1
PR_SET_NO_NEW_PRIVS = 38

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(RuntimeError):
    """The sandbox could not be built; the kernel is not started."""


def _check(result: int, what: str) -> None:
    if result != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)} (errno {err})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def _bind(source: str, target: str, *, readonly: bool = True) -> None:
    _mount(source, target, None, MS_BIND | MS_REC)
    if readonly:
        flags = os.statvfs(target).f_flag & _KEEP_FLAGS
        _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | flags)


def _make_target(path: str, like: str) -> None:
    """Create an empty directory or file at ``path`` to mount ``like`` on."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    if os.path.isdir(like):
        os.makedirs(path, mode=0o755, exist_ok=True)
    elif not os.path.exists(path):
        with open(path, "w"):
            pass


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _build_root(cfg: dict, scratch: str) -> str:
    """Mount the kernel's new root file system at a fresh folder in ``scratch``."""
    root = tempfile.mkdtemp(prefix="root-", dir=scratch)
    _mount("tmpfs", root, "tmpfs", MS_NOSUID, "mode=0755,size=16m")
    # The private /tmp first: folders that must stay visible may lie below /tmp
    # (a virtual environment in a CI checkout); their mount points go into it.
    os.makedirs(root + "/tmp", exist_ok=True)
    _mount("tmpfs", root + "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"mode=1777,size={cfg.get('tmp_size', '512m')}")
    # A minimal /dev: the few character devices Python and the frameworks use.
    os.makedirs(root + "/dev", mode=0o755, exist_ok=True)
    for dev in cfg.get("devices", ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"]):
        if os.path.exists(dev):
            _make_target(root + dev, dev)
            _mount(dev, root + dev, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{name}")
    os.makedirs(root + "/dev/shm", exist_ok=True)
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=256m")
    for link, target in cfg.get("symlinks", []):
        os.makedirs(os.path.dirname(root + link), exist_ok=True)
        os.symlink(target, root + link)
    bound: list[str] = []
    for path in sorted(cfg["binds"], key=len):
        if any(path == b or path.startswith(b.rstrip("/") + "/") for b in bound):
            continue  # already visible through a parent bind
        if not os.path.exists(path):
            continue
        _make_target(root + path, path)
        _bind(path, root + path)
        bound.append(path)
    os.makedirs(root + "/proc", exist_ok=True)
    try:
        _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except SandboxError:
        if cfg["mode"] == "namespaces":
            raise
        # Some container runtimes forbid a new /proc inside a user namespace;
        # the kernel then runs without /proc rather than with the host's.
    for path in cfg.get("masks", []):
        if os.path.isdir(root + path):
            _mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=4k")
    return root


def _enter_root(root: str) -> None:
    """Make ``root`` the root of this mount namespace and detach the old one."""
    os.chdir(root)
    _check(_libc.pivot_root(b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "detach the old root")
    os.chdir("/")


def _map_ids(inside_uid: int, outside_uid: int, inside_gid: int, outside_gid: int) -> None:
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{inside_uid} {outside_uid} 1\n")
    _write("/proc/self/gid_map", f"{inside_gid} {outside_gid} 1\n")


def _apply_limits(cfg: dict) -> None:
    """Resource limits of the kernel and of every process it starts (inherited, never raised again).

    ``memory``: bytes of private writable memory (RLIMIT_DATA: heap and
    anonymous mappings; shared libraries do not count), so that an allocation
    beyond it fails with MemoryError in the student's cell. ``processes``:
    processes and threads of the kernel's own user id (unique per kernel when
    the grader is root). ``cpu``: seconds of CPU time, then SIGXCPU.
    """
    limits = cfg.get("limits", {})
    if limits.get("memory"):
        resource.setrlimit(resource.RLIMIT_DATA, (limits["memory"], limits["memory"]))
    if limits.get("processes"):
        resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"], limits["processes"]))
    if limits.get("cpu"):
        resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _rewrite_connection_file(argv: list[str], connection: str, home: str, uid: int, gid: int) -> list[str]:
    path = os.path.join(home, "kernel.json")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(connection)
    os.chown(path, uid, gid)
    out = list(argv)
    out[out.index("-f") + 1] = path
    return out


def _child(cfg: dict, argv: list[str], connection: str, scratch: str, launcher_pid: int) -> None:
    """Runs as PID 1 of the new PID namespace; never returns."""
    mode = cfg["mode"]
    uid, gid = cfg["uid"], cfg["gid"]
    if mode in ("namespaces", "user") and cfg.get("uid_count"):
        # A user id of its own (no account needed), so that the process limit counts this kernel only.
        uid = cfg["uid_base"] + launcher_pid % cfg["uid_count"]
    if mode in ("namespaces", "userns"):
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
        _enter_root(_build_root(cfg, scratch))
    if mode == "userns":
        # Lock the mounts (a nested user namespace cannot undo them) and give up
        # the namespace's root: the kernel runs as an ordinary user inside.
        outer = os.getuid(), os.getgid()
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS), "unshare (nested user namespace)")
        _map_ids(uid, outer[0], gid, outer[1])
    if mode == "user":  # the real /tmp is shared: a private folder in the grader's scratch space
        home = tempfile.mkdtemp(prefix="home-", dir=scratch)
    else:
        home = "/tmp/home"
        os.makedirs(home, mode=0o700, exist_ok=True)
    if mode != "userns":
        os.chown(home, uid, gid)
    argv = _rewrite_connection_file(argv, connection, home, uid if mode != "userns" else os.getuid(),
                                    gid if mode != "userns" else os.getgid())
    if mode in ("namespaces", "user"):
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise SandboxError("could not give up root")
    _apply_limits(cfg)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(no_new_privs)")
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
    os.chdir(home)
    env = dict(cfg.get("env", {}))
    env["HOME"] = home
    env["COURSE_CACHE_DIR"] = home + "/.cache/course-utils"
    env.setdefault("TMPDIR", "/tmp")
    if os.getpid() == 1:
        _exec_under_init(argv, env)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.execve(argv[0], argv, env)


def _exec_under_init(argv: list[str], env: dict[str, str]) -> None:
    """Run the kernel as a child of this process, the init of the new PID namespace; never returns.

    The kernel must not be that init itself: Linux drops the signals that an init has no
    handler for, SIGXCPU included, so the CPU-time limit would never stop it before the
    hard limit's SIGKILL (which looks like any other kill). This init only waits: it reaps
    whatever the kernel leaves behind and ends with the kernel's status (128 + its signal).
    It replaces itself by the bare interpreter running :data:`_INIT` (the kernel stays its
    child), so that its command line names nothing of the grader or its folders.
    """
    kernel = os.fork()
    if kernel == 0:
        try:
            _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.execve(argv[0], argv, env)
        except BaseException as exc:  # report, then leave without running any cleanup
            print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os._exit(70)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Jupyter interrupts the process group: the kernel's part
    python = getattr(sys, "_base_executable", "") or os.path.realpath(sys.executable)
    try:
        os.execve(python, [python, "-I", "-S", "-c", _INIT, str(kernel)], {})
    except OSError as exc:
        print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os.kill(kernel, signal.SIGKILL)
        os._exit(70)


#: The init of a kernel's PID namespace: wait for the kernel (reaping every other child), then
#: end with its status, 128 + the signal that ended it.
_INIT = """
import os, signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
kernel = int(__import__("sys").argv[1])
while True:
    try:
        pid, status = os.wait()
    except InterruptedError:
        continue
    except ChildProcessError:
        os._exit(70)
    if pid == kernel:
        code = os.waitstatus_to_exitcode(status)
        os._exit(code if code >= 0 else 128 - code)
"""


def main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--" or "-f" not in args[2:]:
        print("usage: _launch.py CONFIG.json -- KERNEL_COMMAND ... -f CONNECTION_FILE ...", file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        cfg = json.load(fh)
    argv = args[2:]
    with open(argv[argv.index("-f") + 1]) as fh:
        connection = fh.read()
    mode = cfg["mode"]
    scratch = cfg.get("scratch") or tempfile.gettempdir()
    # The launcher ends with the grading worker that started it (and the kernel with the launcher),
    # so a worker that is killed leaves no kernel behind.
    grader = os.getppid()
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
    if os.getppid() != grader:
        return 1
    if mode == "none":
        _apply_limits(cfg)
        os.execv(argv[0], argv)
    if mode == "namespaces":
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    elif mode == "userns":
        outer_uid, outer_gid = os.getuid(), os.getgid()
        _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
        _map_ids(0, outer_uid, 0, outer_gid)
    elif mode != "user":
        print(f"unknown sandbox mode {mode!r}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Jupyter interrupts the whole process group
    launcher_pid = os.getpid()
    pid = os.fork()
    if pid == 0:
        try:
            _child(cfg, argv, connection, scratch, launcher_pid)
        except BaseException as exc:  # report, then leave without running any cleanup
            print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os._exit(70)

    def stop(signum, frame):  # Jupyter's terminate: end the namespace at once
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0
    return os.waitstatus_to_exitcode(status) if status else 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.exit(code if code >= 0 else 128 - code)
