"""Decide how grading kernels are isolated, and describe their private file system.

Students' code runs in the grading kernel. It must not be able to read the
hidden tests (in the assignment sources, the generated source notebooks, the
gradebook and the repository's history) nor the gradebook. :func:`prepare`
writes the configuration that :mod:`course_grader._launch` reads when
it starts each kernel, after checking with a real probe kernel that the
isolation works on this machine.

The kernel sees only: the operating system's program folders (``/usr``,
``/etc``, ...), the Python installation and virtual environment, the
``course_utils`` package (never the grader's own package), the data folder (``$COURSE_DATA_DIR``), each
read-only, and an empty private ``/tmp`` that is also its home folder.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

LAUNCHER = Path(__file__).with_name("_launch.py")

#: Top-level system entries the kernel may see (read-only); symlinks are copied as symlinks.
SYSTEM_ENTRIES = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/sys")

#: Where Jupyter and nbgrader read configuration (a gradebook address could be there).
_CONFIG_MASKS = ("etc/jupyter",)

MODES = ("auto", "namespaces", "userns", "user", "none")


class SandboxUnavailable(RuntimeError):
    """Grading kernels cannot be isolated here; the message says what to do."""


class SecretInsideVisibleFolder(SandboxUnavailable):
    """A folder the kernel must read holds a secret: no sandbox mode can help, so
    ``prepare`` stops at once instead of trying the next mode."""


@dataclass
class SandboxPlan:
    """Everything the launcher needs; written as JSON next to the grading workspace."""

    mode: str
    uid: int
    gid: int
    binds: list[str]
    symlinks: list[list[str]]
    masks: list[str]
    env: dict[str, str]
    scratch: str
    notes: list[str] = field(default_factory=list)
    limits: dict[str, int] = field(default_factory=dict)
    uid_base: int = 0
    uid_count: int = 0

    def write(self, path: Path) -> Path:
        data = {
            "mode": self.mode,
            "uid": self.uid,
            "gid": self.gid,
            "binds": self.binds,
            "symlinks": self.symlinks,
            "masks": self.masks,
            "env": self.env,
            "scratch": self.scratch,
            "limits": self.limits,
            "uid_base": self.uid_base,
            "uid_count": self.uid_count,
        }
        path.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.chmod(path, 0o600)
        return path


def inside(path: Path, folders: Path | list[Path]) -> bool:
    """Whether ``path`` is one of ``folders`` or lies below one (lexically)."""
    for folder in [folders] if isinstance(folders, Path) else folders:
        try:
            path.relative_to(folder)
            return True
        except ValueError:
            continue
    return False


def _python_paths() -> list[Path]:
    """Folders the kernel's Python needs: installation, environment, site-packages."""
    paths = {Path(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    paths.add(Path(os.path.realpath(sys.executable)).parent.parent)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        value = sysconfig.get_paths().get(key)
        if value:
            paths.add(Path(value))
    return sorted(paths)


def _package_dir() -> Path:
    """The learners' helper package ``course_utils`` (only it: the grader is a package of its own)."""
    import importlib.util

    spec = importlib.util.find_spec("course_utils")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable("the package course_utils cannot be found; grading kernels need it.")
    return Path(list(spec.submodule_search_locations)[0]).resolve()


def _pth_paths() -> list[Path]:
    """Absolute folders that ``.pth`` files add to ``sys.path`` (besides ``course_utils``)."""
    out = []
    for site_dir in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for pth in Path(site_dir).glob("*.pth"):
            for line in pth.read_text(encoding="utf-8", errors="replace").splitlines():
                line = line.strip()
                if line and not line.startswith(("#", "import ")) and os.path.isabs(line) and os.path.isdir(line):
                    out.append(Path(line))
    return out


def kernel_env(threads: int) -> dict[str, str]:
    """The kernel's whole environment: nothing of the grader's is passed on but these."""
    env = {
        "PATH": f"{sys.prefix}/bin:/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
        "NBGRADER_EXECUTION": "autograde",
    }
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        env[name] = str(threads)
    env["TF_NUM_INTEROP_THREADS"] = "1"
    # The kernel imports course_utils from the folder the grader uses (only that
    # package is mounted there), before any editable-install finder.
    env["PYTHONPATH"] = str(_package_dir().parent)
    data = os.environ.get("COURSE_DATA_DIR")
    if data:
        env["COURSE_DATA_DIR"] = str(Path(data).expanduser().resolve())
    return env


#: Kernels of a root grader run as uid KERNEL_UID_BASE + (launcher pid mod KERNEL_UID_COUNT).
KERNEL_UID_BASE, KERNEL_UID_COUNT = 200_000, 100_000


def limits(memory_mb: int = 4096, processes: int = 512, cpu_seconds: int = 1800) -> dict[str, int]:
    """The resource limits of each grading kernel, as the launcher reads them."""
    return {"memory": int(memory_mb) * 2**20, "processes": int(processes), "cpu": int(cpu_seconds)}


def plan(mode: str, *, secrets: list[Path], scratch: Path, user: str = "nobody", threads: int = 1,
         kernel_limits: dict[str, int] | None = None) -> SandboxPlan:
    """Describe the kernel's file system for ``mode``; fail if a secret would be visible.

    ``secrets`` are folders and files that must stay out of reach: the
    assignment sources, the course folder with the gradebook, the submissions,
    the grading workspace, the output folder, the repository's ``.git``.
    """
    if mode not in MODES or mode == "auto":
        raise ValueError(f"mode must be one of {MODES[1:]}; got {mode!r}.")
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        raise SandboxUnavailable(
            f"the sandbox user {user!r} does not exist on this machine; create it or choose another "
            "with --sandbox-user (any account without a login or files of its own will do)."
        ) from None
    uid, gid = entry.pw_uid, entry.pw_gid
    if mode == "userns":
        uid, gid = 65534, 65534  # inside the nested namespace; maps to the grader outside
    binds: list[str] = []
    symlinks: list[list[str]] = []
    for name in SYSTEM_ENTRIES:
        if os.path.islink(name):
            symlinks.append([name, os.readlink(name)])
        elif os.path.isdir(name):
            binds.append(name)
    keeps = _python_paths() + [_package_dir()] + _pth_paths()
    env = kernel_env(threads)
    if "COURSE_DATA_DIR" in env:
        keeps.append(Path(env["COURSE_DATA_DIR"]))
    resolved_secrets = [Path(os.path.realpath(s)) for s in secrets]
    for keep in keeps:
        real = Path(os.path.realpath(keep))
        for secret in resolved_secrets:
            if inside(secret, [real, keep]):
                raise SecretInsideVisibleFolder(
                    f"the grading kernel needs to read {keep}, but {secret} lies inside it and holds "
                    "material students must not see (hidden tests, the gradebook or submissions). "
                    "Move one of them elsewhere."
                )
        binds.append(str(keep))
        if real != keep:
            binds.append(str(real))
    masks = sorted({str(Path(p) / m) for p in [*binds, "/usr/local"] for m in _CONFIG_MASKS})
    if mode in ("user", "none"):
        binds, symlinks, masks = [], [], []
    unique = mode in ("namespaces", "user")
    return SandboxPlan(
        mode=mode, uid=uid, gid=gid, binds=sorted(set(binds)), symlinks=symlinks, masks=masks,
        env=env, scratch=str(scratch), limits=dict(kernel_limits if kernel_limits is not None else limits()),
        uid_base=KERNEL_UID_BASE if unique else 0, uid_count=KERNEL_UID_COUNT if unique else 0,
    )


# The probe runs in a real sandboxed process, like a kernel would, and reports
# what it can see.
_PROBE = r"""
import json, os, sys
secrets = json.loads(sys.argv[1])
seen = []
for path in secrets:
    try:
        if os.path.isdir(path):
            os.listdir(path)
            seen.append(path)
        elif os.path.exists(path):
            open(path, 'rb').close()
            seen.append(path)
    except OSError:
        pass
ok_import = True
try:
    import course_utils  # the kernel must be able to use the helper package
except Exception as exc:
    ok_import = repr(exc)
try:
    import course_grader  # the grader's own code must stay out of reach
    grader = course_grader.__file__
except ImportError:
    grader = None
print(json.dumps({"uid": os.getuid(), "seen": seen, "import": ok_import, "cwd": os.getcwd(),
                  "grader": grader}))
"""


def probe(sandbox_plan: SandboxPlan, secrets: list[Path], workdir: Path) -> dict:
    """Start a process exactly as a kernel would be started and ask what it can see."""
    cfg = sandbox_plan.write(workdir / f"probe-{sandbox_plan.mode}.json")
    fake_connection = workdir / "probe-connection.json"
    fake_connection.write_text("{}", encoding="utf-8")
    cmd = [
        sys.executable, str(LAUNCHER), str(cfg), "--",
        sys.executable, "-c", _PROBE, json.dumps([str(s) for s in secrets]), "-f", str(fake_connection),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return {"error": "the probe did not finish within 120 s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip() or done.stdout.strip() or f"exit status {done.returncode}")[-800:]}
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"unexpected probe output: {done.stdout[-400:]!r} {done.stderr[-400:]!r}"}


def prepare(
    mode: str,
    *,
    secrets: list[Path],
    workdir: Path,
    user: str = "nobody",
    threads: int = 1,
    kernel_limits: dict[str, int] | None = None,
) -> tuple[Path, SandboxPlan]:
    """Choose and verify the sandbox; return the launcher's configuration file.

    ``mode="auto"`` tries, as root, namespaces and then the unprivileged user
    alone; as an ordinary user, a user namespace. Whatever is chosen must pass
    the probe: the probe process may not see any of ``secrets`` and must be
    able to import ``course_utils``. ``mode="none"`` runs kernels as the grader
    itself, without any isolation (for trusted notebooks only).
    """
    if mode not in MODES:
        raise ValueError(f"sandbox must be one of {MODES}; got {mode!r}.")
    scratch = workdir / "scratch"
    scratch.mkdir(mode=0o700, exist_ok=True)
    if mode == "none":
        chosen = plan("none", secrets=secrets, scratch=scratch, user=user, threads=threads,
                      kernel_limits=kernel_limits)
        chosen.notes.append("kernels run without isolation (--sandbox none)")
        return chosen.write(workdir / "sandbox.json"), chosen
    if mode == "auto":
        candidates = ["namespaces", "user", "userns"] if os.geteuid() == 0 else ["userns"]
    else:
        candidates = [mode]
    problems = []
    for candidate in candidates:
        try:
            chosen = plan(candidate, secrets=secrets, scratch=scratch, user=user, threads=threads,
                          kernel_limits=kernel_limits)
        except SecretInsideVisibleFolder:
            raise
        except SandboxUnavailable as exc:
            if mode != "auto":
                raise
            problems.append(f"{candidate}: {exc}")
            continue
        if candidate == "user":
            # Without namespaces each kernel's home lies outside the (private) workspace,
            # in a folder that the kernel's user may enter but not list.
            homes = Path(tempfile.mkdtemp(prefix="course-grading-homes-"))
            os.chmod(homes, 0o711)
            chosen.scratch = str(homes)
        report = probe(chosen, secrets, workdir)
        if candidate == "user" and ("error" in report or report["seen"] or report["import"] is not True):
            cleanup(chosen)
        if "error" in report:
            problems.append(f"{candidate}: {report['error']}")
            continue
        if report["seen"]:
            problems.append(f"{candidate}: the kernel could read {', '.join(report['seen'])}")
            continue
        if report["import"] is not True:
            problems.append(f"{candidate}: the kernel cannot import course_utils ({report['import']})")
            continue
        if candidate in ("namespaces", "userns") and report.get("grader"):
            problems.append(f"{candidate}: the kernel can import the grader itself ({report['grader']})")
            continue
        if candidate == "user":
            chosen.notes.append(
                "kernels run as an unprivileged user without namespaces; files that this user can "
                "read anywhere on the machine are visible to students' code"
            )
        return chosen.write(workdir / "sandbox.json"), chosen
    advice = (
        "Grade as root on Linux (for example in a container started with the capability "
        "SYS_ADMIN, or with sudo) so that each kernel gets private namespaces, or allow "
        "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1). "
        "To grade trusted notebooks without isolation, pass --sandbox none."
    )
    raise SandboxUnavailable(
        "cannot isolate the grading kernels on this machine:\n  - " + "\n  - ".join(problems) + "\n" + advice
    )


def cleanup(chosen: SandboxPlan) -> None:
    """Remove what a plan created outside the grading workspace (the kernels' homes in ``user`` mode)."""
    if chosen.mode == "user" and Path(chosen.scratch).name.startswith("course-grading-homes-"):
        shutil.rmtree(chosen.scratch, ignore_errors=True)


def workspace(base: Path | None = None) -> Path:
    """A fresh private folder (mode 700) for one grading run."""
    path = Path(tempfile.mkdtemp(prefix="course-grading-", dir=base))
    os.chmod(path, 0o700)
    return path


class KernelTemplate:
    """The kernel template of one grading worker (see :mod:`course_grader._launch`).

    Started on first use with the kernels' own environment (nothing of the
    grader's), it listens on a socket in a private folder (mode 700) outside
    every sandbox; :meth:`socket_path` starts it again if it has died. It is
    stopped with :meth:`stop`, at the worker's exit, or when the worker dies.
    """

    def __init__(self, config: Path) -> None:
        self.config = Path(config)
        self.process: subprocess.Popen | None = None
        self.folder: Path | None = None

    def socket_path(self) -> str:
        if self.process is None or self.process.poll() is not None:
            self._start()
        return str(self.folder / "template.sock")

    def _start(self) -> None:
        import socket

        from ._launch import BOOT

        self.stop()
        cfg = json.loads(self.config.read_text(encoding="utf-8"))
        self.folder = Path(tempfile.mkdtemp(prefix="cg-template-"))  # short: a socket path has 107 bytes
        os.chmod(self.folder, 0o700)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(str(self.folder / "template.sock"))
            listener.listen(16)
            env = dict(cfg.get("env", {}), HOME=str(self.folder))
            self.process = subprocess.Popen(
                [sys.executable, "-c", BOOT, str(listener.fileno()), str(os.getpid())], stdin=subprocess.PIPE,
                cwd=self.folder,
                env=env, pass_fds=[listener.fileno()], start_new_session=True,
            )
            self.process.stdin.write(LAUNCHER.read_bytes())
            self.process.stdin.close()
        finally:
            listener.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


_TEMPLATES: dict[str, KernelTemplate] = {}


def kernel_template(config: Path | str) -> KernelTemplate:
    """This process's kernel template for the sandbox described in ``config`` (one per configuration)."""
    import atexit

    key = str(config)
    if key not in _TEMPLATES:
        if not _TEMPLATES:
            atexit.register(stop_kernel_templates)
        _TEMPLATES[key] = KernelTemplate(Path(config))
    return _TEMPLATES[key]


def stop_kernel_templates() -> None:
    """Stop every kernel template of this process (a later kernel starts a new one)."""
    for template in _TEMPLATES.values():
        template.stop()
