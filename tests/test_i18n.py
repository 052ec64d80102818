"""Learner-facing messages in Chinese: the language setting, the catalog, and its check."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from babel.messages.catalog import Catalog

from course_utils import i18n
from course_utils.data import DataUnavailableError, load_mnist
from course_utils.exercises import lesson1 as graded1
from course_utils.practice import lesson1, lesson2
from course_utils.text_data import NBYTES, load_tinyshakespeare

ROOT = Path(__file__).resolve().parent.parent


def _load_tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "tools" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


@pytest.fixture
def language(monkeypatch, tmp_path):
    """No language setting anywhere, an English working folder; restored afterwards."""
    for name in (i18n.ENV_VARIABLE, i18n.SESSION_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    i18n.set_language(None)
    yield monkeypatch
    i18n.set_language(None)


ANSWERED_EN = (
    "Exercise 1.5 (explorer): correct (all 1 checks passed).\n"
    "  passed: the largest slope of sigmoid(w z + b) at z = 0 on the sliders\n"
)
ANSWERED_ZH = (
    "练习 1.5（交互探索）：正确（1 项检查全部通过）。\n"
    "  通过：在滑块范围内，sigmoid(w z + b) 在 z = 0 处的最大斜率\n"
)
UNANSWERED_ZH = "练习 1.5（交互探索）：尚未作答。需要的是：一个数。把它赋给 `answer`，再运行这个单元格。\n"


def test_a_self_check_speaks_chinese_and_english_is_unchanged(language, capsys):
    lesson1.exercise_5.check(1.25)
    assert capsys.readouterr().out == ANSWERED_EN
    language.setenv("COURSE_LANGUAGE", "zh_CN")
    lesson1.exercise_5.check(1.25)
    assert capsys.readouterr().out == ANSWERED_ZH
    lesson2.exercise_1.check([1.0, 2.0])
    assert capsys.readouterr().out == (
        "练习 2.1（手算）：还不对（1 项检查通过了 0 项）。\n"
        "  未通过：logits (0, 0, 0, 0) 的交叉熵——logits (0, 0, 0, 0) 的交叉熵 应当是单个数；"
        "收到了 2 个值（形状 (2,)）。\n"
    )
    lesson1.exercise_4.hint()
    assert capsys.readouterr().out.startswith("练习 1.4（温度）的提示：把每个 logit 都除以 T。")
    graded1.q4.check(None)  # a graded assignment's question
    assert capsys.readouterr().out == (
        "问题 4（书面回答：梯度消失）是书面回答题：由人来评分，没有可以自动检查的内容。\n"
    )
    language.setenv("COURSE_LANGUAGE", "en")  # the language may change after the import
    graded1.q4.check(None)
    assert capsys.readouterr().out == (
        "Question 4 (written: vanishing gradients) is a written answer: a person grades it, "
        "there is nothing to check automatically.\n"
    )
    lesson1.exercise_5.check(1.25)
    assert capsys.readouterr().out == ANSWERED_EN


def test_data_errors_speak_chinese(language, tmp_path, file_server):
    language.delenv("COURSE_DATA_DIR", raising=False)
    language.setenv("COURSE_LANGUAGE", "zh-CN")
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(cache_dir=tmp_path / "cache", download=False)
    message = str(info.value)
    assert message.startswith("找不到 MNIST 文件 train-images-idx3-ubyte，也无法下载。已尝试：\n")
    assert "  - $COURSE_DATA_DIR：未设置\n" in message
    assert "  - 下载：已关闭（download=False）\n" in message
    assert message.endswith(
        "如需离线使用，请把四个 MNIST 文件（压缩与否均可）复制到一个名为 mnist 的文件夹中，"
        "例如 /path/to/data/mnist，再把环境变量 COURSE_DATA_DIR 设为包含 mnist/ 的文件夹"
        "（export COURSE_DATA_DIR=/path/to/data）。"
    )
    # A download with the wrong checksum, from a real server.
    server = file_server()
    server.serve("/input.txt", b"x" * NBYTES)
    url = server.url + "/input.txt"
    with pytest.raises(DataUnavailableError) as info:
        load_tinyshakespeare(cache_dir=tmp_path / "cache", urls=[url], progress=False)
    message = str(info.value)
    assert f"  - {url}：下载的文件未通过校验（" in message
    assert "已损坏，或不是原始的 input.txt：它的 SHA-256 校验和是" in message
    language.setenv("COURSE_LANGUAGE", "en")
    with pytest.raises(DataUnavailableError) as info:
        load_tinyshakespeare(cache_dir=tmp_path / "cache", urls=[url], progress=False)
    assert f"  - {url}: the download failed verification (" in str(info.value)
    assert "\nTo work offline, copy input.txt (sha256 " in str(info.value)


def test_the_language_follows_setting_then_environment_then_notebook_path_then_folder(
    language, tmp_path
):
    assert i18n.get_language() == "en"
    chinese = tmp_path / "notebooks" / "zh_CN"
    chinese.mkdir(parents=True)
    language.chdir(chinese)  # how nbclient and nbval start a kernel
    assert i18n.get_language() == "zh_CN"
    language.setenv("JPY_SESSION_NAME", "notebooks/01_activation_functions.ipynb")
    assert i18n.get_language() == "en"  # the notebook's path beats the folder
    language.chdir(tmp_path)
    language.setenv("JPY_SESSION_NAME", "notebooks/zh_CN/01_activation_functions.ipynb")
    assert i18n.get_language() == "zh_CN"
    language.setenv("COURSE_LANGUAGE", "en_US")  # the environment beats the path
    assert i18n.get_language() == "en"
    i18n.set_language("zh-Hans")  # and set_language beats the environment
    assert i18n.get_language() == "zh_CN"
    i18n.set_language(None)
    assert i18n.get_language() == "en"


def test_a_clone_inside_some_zh_CN_folder_stays_english(language, tmp_path):
    """Only the lesson's own folder counts, not a folder further up."""
    english = tmp_path / "zh_CN" / "course" / "notebooks"
    english.mkdir(parents=True)
    language.chdir(english)
    assert i18n.get_language() == "en"
    language.setenv("JPY_SESSION_NAME", "zh_CN/course/notebooks/01_activation_functions.ipynb")
    assert i18n.get_language() == "en"


@pytest.mark.parametrize(
    "spelling, lang",
    [("zh", "zh_CN"), ("zh-CN", "zh_CN"), ("zh_cn", "zh_CN"), ("zh-Hans", "zh_CN"),
     ("zh_CN", "zh_CN"), ("en", "en"), ("en_US", "en"), (" EN ", "en")],
)
def test_common_spellings(language, spelling, lang):
    language.setenv("COURSE_LANGUAGE", spelling)
    assert i18n.get_language() == lang
    i18n.set_language(spelling)
    assert i18n.get_language() == lang


def test_bad_languages_are_refused_clearly(language):
    language.setenv("COURSE_LANGUAGE", "fr")
    with pytest.raises(ValueError, match=r"\$COURSE_LANGUAGE must be one of \('en', 'zh_CN'\); got 'fr'"):
        i18n.get_language()
    with pytest.raises(ValueError, match=r"^lang must be one of \('en', 'zh_CN'\); got 'de'"):
        i18n.set_language("de")
    with pytest.raises(TypeError, match=r"^lang must be a language name"):
        i18n.set_language(5)


def test_the_shipped_catalog_passes_its_check():
    assert tool.check() == []


def _package(tmp_path: Path) -> Path:
    """A small package with three messages and a complete Chinese catalog."""
    package = tmp_path / "pkg"
    package.mkdir(parents=True)
    (package / "mod.py").write_text(
        "from course_utils.i18n import N_, _\n"
        "GREETING = N_('Hello')\n"
        "def say(name):\n"
        "    return _('{name} passed {count} checks.').format(name=name, count=3)\n"
        "def warn():\n"
        "    return _('cache {folder}: empty')\n",
        encoding="utf-8",
    )
    catalog = Catalog(locale="zh_CN", domain=tool.DOMAIN)
    catalog.add("Hello", "你好")
    catalog.add("{name} passed {count} checks.", "{name} 通过了 {count} 项检查。")
    catalog.add("cache {folder}: empty", "缓存 {folder}：空")
    write(package, catalog)
    return package


def write(package: Path, catalog: Catalog, *, compile: bool = True) -> None:
    path = tool.po_path("zh_CN", package)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(tool.po_bytes(catalog))
    if compile:
        path.with_suffix(".mo").write_bytes(tool.mo_bytes(tool.read_catalog(path, "zh_CN")))


def test_the_check_catches_a_broken_catalog(tmp_path):
    package = _package(tmp_path)
    assert tool.check(package) == []
    po = tool.po_path("zh_CN", package)

    catalog = tool.read_catalog(po, "zh_CN")
    del catalog["Hello"]
    catalog["{name} passed {count} checks."].string = "{name} 通过了 {total} 项检查。"
    catalog["cache {folder}: empty"].flags.add("fuzzy")
    write(package, catalog)
    problems = tool.check(package)
    assert len(problems) == 3, problems
    assert "'Hello' (pkg/mod.py:2): not in the catalog" in problems[0]
    assert "placeholders differ from the English text (missing {count}; unknown {total})" in problems[1]
    assert "'cache {folder}: empty' (pkg/mod.py:6): fuzzy" in problems[2]

    package = _package(tmp_path / "empty")
    catalog = tool.read_catalog(po := tool.po_path("zh_CN", package), "zh_CN")
    catalog["Hello"].string = ""
    write(package, catalog)
    assert [p.split(": ", 1)[1] for p in tool.check(package)] == ["'Hello' (pkg/mod.py:2): not translated"]

    package = _package(tmp_path / "stale")
    catalog = tool.read_catalog(po := tool.po_path("zh_CN", package), "zh_CN")
    catalog["Hello"].string = "您好"
    write(package, catalog, compile=False)  # the .mo still says 你好
    (problem,) = tool.check(package)
    assert problem.endswith("course_utils.mo: differs from what course_utils.po compiles to "
                            "(run: python tools/i18n.py compile)")
    # The command line reports it and exits 1; compiling fixes it.
    run = [sys.executable, str(ROOT / "tools" / "i18n.py")]
    result = subprocess.run([*run, "check", "--package", str(package)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 1 and "course_utils.mo: differs" in result.stderr, result
    assert "1 problem(s)" in result.stdout
    subprocess.run([*run, "compile", "--package", str(package)], check=True, timeout=120,
                   capture_output=True)
    assert tool.check(package) == []
    assert po.is_file()


@pytest.mark.slow
def test_a_kernel_started_in_a_zh_CN_folder_prints_chinese(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    for name in (i18n.ENV_VARIABLE, i18n.SESSION_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    folder = tmp_path / "notebooks" / "zh_CN"
    folder.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from course_utils.practice import lesson1 as practice\n"
        "answer = None\n"
        "practice.exercise_5.check(answer)"
    )]
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert text == UNANSWERED_ZH


def test_no_module_that_translates_assigns_the_underscore():
    """``x, _ = ...`` in a module that imports ``_`` would shadow gettext in that function."""
    import ast

    problems = []
    for path in sorted((ROOT / "course_utils").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not any(isinstance(node, ast.ImportFrom) and any(a.name == "_" and a.asname is None
                                                            for a in node.names)
                   for node in ast.walk(tree)):
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store)) or (
                isinstance(node, ast.arg) and node.arg == "_"
            ):
                problems.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert problems == [], f"_ is gettext in these modules; name the unused value otherwise: {problems}"
