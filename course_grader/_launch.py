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

The kernel is the only child of the init of its own PID namespace, so every
process that the students' code starts dies with it. This file imports only
the standard library and is run by path, so that starting a kernel costs no
imports.

The kernel template
-------------------
Starting Python and importing ipykernel and NumPy costs a kernel about half a
second of CPU, for every submission, before any student's code runs. A
grading worker therefore starts one *kernel template* (:func:`serve`): an
interpreter that has imported those modules once and then only forks. With

    python _launch.py CONFIG.json --via SOCKET -- python -m ipykernel_launcher -f CONNECTION_FILE

the launcher sends its request (the configuration, the command, the
connection file, its own standard streams) to the template listening on
``SOCKET``, which forks a process that builds exactly the sandbox described
above and runs the kernel module in the fork instead of executing a new
interpreter. The launcher stays what Jupyter started: it passes interrupts on
to the kernel, ends it when it is terminated itself (the template ends a
kernel whose launcher has gone), and exits with the kernel's status. The
template never runs students' code, holds nothing of the grader's (it starts
from the kernel's own environment, reads this file from its standard input and
keeps no request after the fork), and dies with the worker that started it.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
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


def _exec(argv: list[str], env: dict[str, str]) -> None:
    os.execve(argv[0], argv, env)


def _child(cfg: dict, argv: list[str], connection: str, scratch: str, launcher_pid: int, run=_exec) -> None:
    """Runs as PID 1 of the new PID namespace; never returns. ``run(argv, env)`` starts the kernel."""
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
        _exec_under_init(argv, env, run)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    run(argv, env)


def _exec_under_init(argv: list[str], env: dict[str, str], run=_exec) -> None:
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
            run(argv, env)
        except BaseException as exc:  # report, then leave without running any cleanup
            print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os._exit(70)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Jupyter interrupts the process group: the kernel's part
    python = getattr(sys, "_base_executable", "") or os.path.realpath(sys.executable)
    cpu = resource.getrlimit(resource.RLIMIT_CPU)[0]
    cpu = -1 if cpu == resource.RLIM_INFINITY else cpu
    try:
        os.execve(python, [python, "-I", "-S", "-c", _INIT, str(kernel), str(cpu)], {})
    except OSError as exc:
        print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os.kill(kernel, signal.SIGKILL)
        os._exit(70)


#: The init of a kernel's PID namespace: wait for the kernel (reaping every other child), then
#: end with its status, 128 + the signal that ended it. A kernel that ignores SIGXCPU is killed by
#: the hard CPU limit's SIGKILL: with at least the soft limit of CPU time used, that too is
#: reported as the CPU-time limit (152), not as an unexplained kill.
_INIT = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_IGN)
kernel, cpu = int(sys.argv[1]), int(sys.argv[2])
while True:
    try:
        pid, status, usage = os.wait4(-1, 0)
    except InterruptedError:
        continue
    except ChildProcessError:
        os._exit(70)
    if pid == kernel:
        code = os.waitstatus_to_exitcode(status)
        if code == -signal.SIGKILL and cpu >= 0 and usage.ru_utime + usage.ru_stime >= cpu:
            code = -signal.SIGXCPU
        os._exit(code if code >= 0 else 128 - code)
"""


def _sandboxed(cfg: dict, argv: list[str], connection: str, launcher_pid: int, run=_exec) -> int:
    """Build the sandbox of ``cfg`` and run the kernel in it; return its exit status.

    Runs in the launcher, or in a fork of the kernel template (with ``run`` starting the
    kernel module in the fork's own interpreter).
    """
    mode = cfg["mode"]
    scratch = cfg.get("scratch") or tempfile.gettempdir()
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
    pid = os.fork()
    if pid == 0:
        try:
            _child(cfg, argv, connection, scratch, launcher_pid, run)
        except BaseException as exc:  # report, then leave without running any cleanup
            print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
        os._exit(70)

    def stop(signum, frame):  # Jupyter's terminate: end the namespace at once
        _signal(os.kill, pid, signal.SIGKILL)

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


def _signal(send, target: int, signum: int) -> None:
    """``send(target, signum)`` (os.kill or os.killpg), for a target that may have ended already."""
    try:
        send(target, signum)
    except ProcessLookupError:
        pass


def _exit_code(code: int) -> int:
    return code if code >= 0 else 128 - code


def main(args: list[str]) -> int:
    via = None
    if len(args) >= 3 and args[1] == "--via":
        via, args = args[2], [args[0], *args[3:]]
    if len(args) < 3 or args[1] != "--" or "-f" not in args[2:]:
        print("usage: _launch.py CONFIG.json [--via SOCKET] -- KERNEL_COMMAND ... -f CONNECTION_FILE ...",
              file=sys.stderr)
        return 2
    with open(args[0]) as fh:
        cfg = json.load(fh)
    argv = args[2:]
    with open(argv[argv.index("-f") + 1]) as fh:
        connection = fh.read()
    # The launcher ends with the grading worker that started it (and the kernel with the launcher),
    # so a worker that is killed leaves no kernel behind.
    grader = os.getppid()
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
    if os.getppid() != grader:
        return 1
    if cfg["mode"] == "none":
        _apply_limits(cfg)
        os.execv(argv[0], argv)
    if via:
        return _through_template(via, cfg, argv, connection)
    return _sandboxed(cfg, argv, connection, os.getpid())


# --- the kernel template -------------------------------------------------------------------------

#: What the template imports once, so that no kernel has to (each is skipped if it fails).
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.iostream",
           "ipykernel.debugger", "ipykernel_launcher", "numpy")

#: How the worker starts the template: this file arrives on its standard input, so that the
#: command line (which every kernel forked from it shows) names nothing of the grader.
BOOT = ("import sys; g = {'__name__': 'kernel_template'}; "
        "exec(compile(sys.stdin.buffer.read(), 'kernel-template', 'exec'), g); "
        "g['serve'](int(sys.argv[1]), int(sys.argv[2]))")


def _send(sock: socket.socket, message: dict, fds: list[int] = ()) -> None:
    data = json.dumps(message).encode() + b"\n"
    if fds:
        socket.send_fds(sock, [data], list(fds))
    else:
        sock.sendall(data)


def _through_template(path: str, cfg: dict, argv: list[str], connection: str) -> int:
    """The launcher's part when the kernel template forks the kernel: relay signals, report the status."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        _send(sock, {"cfg": cfg, "argv": argv, "connection": connection, "launcher_pid": os.getpid()},
              [0, 1, 2])
        replies = sock.makefile("rb")
        reply = json.loads(replies.readline() or b"{}")
    except (OSError, ValueError) as exc:
        print(f"grading sandbox: the kernel template at {path} did not answer: {exc}", file=sys.stderr,
              flush=True)
        return 70
    if "pid" not in reply:
        print(f"grading sandbox: {reply.get('error', 'the kernel template refused the kernel')}",
              file=sys.stderr, flush=True)
        return 70
    group = reply["pid"]  # the fork leads a process group: its sandbox's init and the kernel

    def relay(signum, frame):  # Jupyter's interrupt (to this process's group): the kernel's part
        _signal(os.killpg, group, signum)

    def stop(signum, frame):
        # Jupyter's terminate: the fork kills its sandbox's init and exits once every process
        # of the sandbox has ended (the template then reports it, and this launcher exits).
        _signal(os.kill, group, signal.SIGTERM)

    signal.signal(signal.SIGINT, relay)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGHUP, stop)
    line = replies.readline()  # the template's report of the fork's exit (it waits for it)
    try:
        return int(json.loads(line)["exit"])
    except (ValueError, KeyError, TypeError):
        print("grading sandbox: the kernel template ended before the kernel did", file=sys.stderr, flush=True)
        _signal(os.killpg, group, signal.SIGKILL)
        return 70


def _run_in_process(argv: list[str], env: dict[str, str]) -> None:
    """Run ``python -m MODULE ARGS`` as this (forked) interpreter would after exec; never returns."""
    if len(argv) < 3 or argv[1] != "-m":
        _exec(argv, env)
    os.environ.clear()
    os.environ.update(env)
    # What importing PRELOAD wrote into the environment (debugpy sets PYDEVD_USE_FRAME_EVAL), as a
    # kernel that imports the modules itself would have it.
    os.environ.update(_PRELOADED_ENVIRONMENT)
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGXCPU):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = [argv[0], *argv[3:]]
    sys.path[0] = os.getcwd()  # as ``python -m`` sets it
    import atexit
    import runpy

    code = 0
    try:
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:  # noqa: BLE001 - as the interpreter would: print it and fail
        import traceback

        traceback.print_exc()
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        os._exit(code & 0xFF)


_PRELOADED_ENVIRONMENT: dict[str, str] = {}


def _fork_sandbox(request: dict, fds: list[int], release) -> int:
    """Fork the process that builds one kernel's sandbox (in the template); return its pid."""
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 70
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.setpgid(0, 0)
        _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
        release()  # the template's sockets and pipes: detached from their objects, then closed
        for fd, target in zip(fds, (0, 1, 2)):
            os.dup2(fd, target)
        os.closerange(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        code = _exit_code(_sandboxed(request["cfg"], request["argv"], request["connection"],
                                     int(request["launcher_pid"]), _run_in_process))
    except BaseException as exc:  # report, then leave without running any cleanup
        print(f"grading sandbox: {exc}", file=sys.stderr, flush=True)
    os._exit(code)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds = b"", []
    while not data.endswith(b"\n"):
        chunk, more, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        if not chunk:
            raise EOFError("the launcher closed the connection")
        data += chunk
        fds += more
    return json.loads(data), fds


def serve(listen_fd: int, worker_pid: int) -> None:
    """The kernel template: import :data:`PRELOAD`, then fork one sandbox per request; never returns.

    ``worker_pid`` is the process that started it: the template ends when that process does.
    """
    import importlib
    import selectors

    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
    if os.getppid() != worker_pid:  # the worker ended before the line above
        os._exit(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    before = dict(os.environ)
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a kernel then imports it itself
            pass
    _PRELOADED_ENVIRONMENT.update({k: v for k, v in os.environ.items() if before.get(k) != v})
    listener = socket.socket(fileno=listen_fd)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    launchers: dict[int, socket.socket] = {}  # sandbox pid -> its launcher's connection

    def release() -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        selector.close()
        for sock in [listener, *launchers.values()]:
            os.close(sock.detach())
        os.close(wake_read)
        os.close(wake_write)

    while True:
        for key, _ in selector.select():
            if key.fileobj is listener:
                conn, _ = listener.accept()
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError, EOFError):
                    conn.close()
                    continue
                launchers[-1] = conn  # closed in the fork too
                try:
                    pid = _fork_sandbox(request, fds, release)
                finally:
                    del launchers[-1]
                    for fd in fds:
                        os.close(fd)
                    del request
                try:
                    _send(conn, {"pid": pid})
                except OSError:
                    os.kill(pid, signal.SIGKILL)
                launchers[pid] = conn
                selector.register(conn, selectors.EVENT_READ, pid)
            elif key.fileobj == wake_read:
                try:
                    os.read(wake_read, 4096)
                except BlockingIOError:
                    pass
                while True:
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    conn = launchers.pop(pid, None)
                    if conn is not None:
                        selector.unregister(conn)
                        try:
                            _send(conn, {"exit": _exit_code(os.waitstatus_to_exitcode(status))})
                        except OSError:
                            pass
                        conn.close()
            else:  # a launcher's connection: it only ever closes, when the launcher ends
                conn, pid = key.fileobj, key.data
                try:
                    data = conn.recv(64)
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(conn)
                    launchers.pop(pid, None)
                    conn.close()
                    _signal(os.killpg, pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(_exit_code(main(sys.argv[1:])))
