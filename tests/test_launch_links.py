"""The book's launch links open the .ipynb of the same lesson (Colab from the theme, Kaggle from GitHub),
in each edition: a Chinese page opens the Chinese notebook (notebooks/zh_CN/)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import yaml

from conftest import ROOT

BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"


def config() -> dict:
    return yaml.safe_load((BOOK / "_config.yml").read_text())


def lessons() -> list[str]:
    return list(config()["sphinx"]["config"]["course_lessons"])


def github_blob(lesson: str) -> str:
    repo = config()["repository"]
    return f"{repo['url'].rstrip('/')}/blob/{repo['branch']}/notebooks/{lesson}.ipynb"


def kaggle_link(lesson: str) -> str:
    """Kaggle has no button in the theme: its import page takes the notebook's GitHub address."""
    return f"https://www.kaggle.com/kernels/welcome?src={github_blob(lesson)}"


EDITIONS = {"": "notebooks", "zh_CN": "notebooks/zh_CN"}  # site folder: the lessons' folder in the repository


def expected_colab(lesson: str, folder: str = "notebooks") -> str:
    cfg = config()
    org_repo = urlparse(cfg["repository"]["url"]).path.strip("/")
    base = cfg["launch_buttons"]["colab_url"].rstrip("/")
    return f"{base}/github/{org_repo}/blob/{cfg['repository']['branch']}/{folder}/{lesson}.ipynb"


@pytest.mark.parametrize("lesson", lessons())
def test_links_name_a_committed_lesson_notebook(lesson):
    assert (ROOT / "notebooks" / f"{lesson}.ipynb").is_file()
    src = parse_qs(urlparse(kaggle_link(lesson)).query)["src"][0]
    assert src.endswith(f"/notebooks/{lesson}.ipynb")
    assert expected_colab(lesson).endswith(f"/notebooks/{lesson}.ipynb")


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("lesson", lessons())
def test_built_page_colab_button_opens_the_same_lesson(lesson, edition):
    page = HTML / edition / "notebooks" / f"{lesson}.html"
    if not page.is_file():
        pytest.skip("no built book here (make test builds it before running the tests)")
    folder = EDITIONS[edition]
    assert (ROOT / folder / f"{lesson}.ipynb").is_file()
    hrefs = re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page.read_text())
    assert hrefs, f"{page.name}: no Colab launch button"
    assert set(hrefs) == {expected_colab(lesson, folder)}, hrefs


def test_readme_gives_the_kaggle_link_pattern():
    text = (ROOT / "README.md").read_text()
    assert kaggle_link("NN_name") in text
