"""The language of the messages a learner reads: English or Simplified Chinese.

Self-check results, hints and the data and download errors come out in the
language of the lesson. The Chinese lessons (``notebooks/zh_CN/``) run the
same code as the English ones, cell for cell, so no lesson sets the language
itself: it is found, in this order, from

1. :func:`set_language`, when it was called with a language;
2. the environment variable ``COURSE_LANGUAGE`` (``zh_CN`` or ``en``);
3. ``JPY_SESSION_NAME``, the notebook's path that jupyter-server gives the
   kernels it starts: a notebook in a folder called ``zh_CN`` means Chinese,
   any other notebook English;
4. the working folder: a kernel starts in its notebook's folder (JupyterLab,
   nbclient, nbval), so a working folder called ``zh_CN`` means Chinese;
5. English.

Common spellings are accepted (``zh``, ``zh-CN``, ``zh_Hans`` mean
``zh_CN``; ``en_US`` means ``en``); anything else is a ValueError that names
the setting, what it held and the choices.

In Colab or Kaggle the notebook's path is unknown to the kernel, so a
learner sets the language once, at the top::

    import course_utils.i18n
    course_utils.i18n.set_language("zh_CN")

Translations use the standard :mod:`gettext` machinery. The English text is
the message id, so English needs no catalog (a ``NullTranslations``); the
Chinese catalog is ``locale/zh_CN/LC_MESSAGES/course_utils.po``, compiled to
the ``.mo`` beside it, both shipped in the package. Code marks a message with
``_("... {name} ...").format(name=...)`` (named placeholders, never an
f-string inside ``_()``, whose text would differ on every call). A message
defined at import time (a question's label or hint) is marked with ``N_`` and
translated where it is shown, so that the language can still change after
the import. ``python tools/i18n.py check`` fails when a marked message lacks a
translation, a translation is fuzzy or drops a placeholder, or the shipped
``.mo`` is stale (``extract``, ``update``, ``compile`` refresh them).

Argument checks (TypeError and ValueError from :mod:`course_utils.validation`)
stay in English: they speak about the code, in the code's words.
"""

from __future__ import annotations

import gettext as _gettext
import os
from functools import lru_cache
from pathlib import Path, PurePath

from .validation import check_one_of, describe

__all__ = [
    "DOMAIN",
    "ENV_VARIABLE",
    "LOCALE_DIR",
    "N_",
    "SUPPORTED",
    "deferred",
    "get_language",
    "gettext",
    "ngettext",
    "normalize_language",
    "set_language",
    "translation",
    "_",
]

SUPPORTED = ("en", "zh_CN")
DOMAIN = "course_utils"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
ENV_VARIABLE = "COURSE_LANGUAGE"
SESSION_VARIABLE = "JPY_SESSION_NAME"
_FOLDER = "zh_CN"  # the folder of the Chinese lessons

# Accepted spellings, compared after lower-casing and turning "-" into "_".
_SPELLINGS = {
    "en": "en",
    "en_us": "en",
    "en_gb": "en",
    "zh": "zh_CN",
    "zh_cn": "zh_CN",
    "zh_hans": "zh_CN",
    "zh_hans_cn": "zh_CN",
    "zh_sg": "zh_CN",
}

_override: str | None = None


def normalize_language(name: str, value: object) -> str:
    """One of :data:`SUPPORTED` for ``value``, a language spelled in a common way.

    name : str
        What to call the setting in the error, e.g. ``"$COURSE_LANGUAGE"``.
    value : str
        ``"zh_CN"``, ``"zh-CN"``, ``"zh"``, ``"zh-Hans"``, ``"en"``, ``"en_US"``...

    Raises TypeError when ``value`` is not a string and ValueError when it
    names no supported language.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a language name such as 'zh_CN' or 'en'; got {describe(value)}."
        )
    key = value.strip().lower().replace("-", "_")
    if key in _SPELLINGS:
        return _SPELLINGS[key]
    return check_one_of(name, value, SUPPORTED)  # raises: lists the choices


def set_language(lang: str | None) -> None:
    """Use ``lang`` for every message from now on; None returns to the automatic choice.

    lang : str or None
        ``"zh_CN"`` or ``"en"`` (or a common spelling of them, see
        :func:`normalize_language`).
    """
    global _override
    _override = None if lang is None else normalize_language("lang", lang)


def _in_folder(path: str) -> bool:
    """Whether the notebook at ``path`` lies directly in a folder called ``zh_CN``
    (a clone of the course inside some other ``zh_CN`` folder stays English)."""
    return PurePath(path).parent.name == _FOLDER


def get_language() -> str:
    """The language messages are shown in now, one of :data:`SUPPORTED` (see the module)."""
    if _override is not None:
        return _override
    setting = os.environ.get(ENV_VARIABLE, "").strip()
    if setting:
        return normalize_language(f"${ENV_VARIABLE}", setting)
    session = os.environ.get(SESSION_VARIABLE, "").strip()
    if session:
        if _in_folder(session):
            return "zh_CN"
        if session.endswith(".ipynb"):
            return "en"  # a notebook outside zh_CN/; otherwise ask the folder
    try:
        folder = os.getcwd()
    except OSError:  # the working folder was deleted
        return "en"
    return "zh_CN" if PurePath(folder).name == _FOLDER else "en"


@lru_cache(maxsize=None)
def translation(lang: str) -> _gettext.NullTranslations:
    """The (cached) translations for ``lang``; English is a ``NullTranslations``."""
    lang = normalize_language("lang", lang)
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[lang])


class Deferred(str):
    """An English text made from a template, translated as a whole where it is shown.

    Equal to (and printed as) ``template.format(**parts)``; :func:`gettext`
    translates the template and every part that is text.
    """

    template: str
    parts: dict

    def __new__(cls, template: str, parts: dict) -> "Deferred":
        text = super().__new__(cls, template.format(**parts))
        text.template, text.parts = template, parts
        return text

    def translated(self) -> str:
        parts = {k: gettext(v) if isinstance(v, str) else v for k, v in self.parts.items()}
        return gettext(self.template).format(**parts)


def deferred(template: str, **parts: object) -> Deferred:
    """``template.format(**parts)``, to be translated later (a label made at import time)."""
    return Deferred(template, parts)


def gettext(message: str) -> str:
    """``message`` (an English text) in the current language."""
    if isinstance(message, Deferred):
        return message.translated()
    if not message:  # gettext("") would return the catalog's header
        return message
    return translation(get_language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, in the current language."""
    return translation(get_language()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is shown; returns it unchanged."""
    return message


_ = gettext
