"""The widget's message catalogues: every language says everything English says, with the same
placeholders and exactly the plural forms its readers' browsers ask for."""

from __future__ import annotations

import json
import re

import pytest

from commentsvc import assets, widget

FOLDER = assets.embed_dir() / "i18n"

# Cardinal plural categories per language (CLDR 48), checked against Chromium's Intl.PluralRules
# by test_category_table_agrees_with_the_browsers_plural_rules. The widget picks a form with
# Intl.PluralRules(lang).select(n): a missing category would fall back to "other" (wrong grammar),
# an extra one is never chosen.
CATEGORIES = {
    "ar": {"zero", "one", "two", "few", "many", "other"},
    "de": {"one", "other"},
    "en": {"one", "other"},
    "es": {"one", "many", "other"},
    "fr": {"one", "many", "other"},
    "he": {"one", "two", "other"},
    "it": {"one", "many", "other"},
    "ja": {"other"},
    "nl": {"one", "other"},
    "pl": {"one", "few", "many", "other"},
    "pt": {"one", "many", "other"},
    "ru": {"one", "few", "many", "other"},
    "zh": {"other"},
}

# Categories that CLDR gives to exactly one whole number (Arabic zero, one, two; Hebrew one, two):
# there the words say the number ("تعليقان", "תגובה אחת"), so the form may leave out {n}.
SINGLE_NUMBER = {"ar": {"zero", "one", "two"}, "he": {"one", "two"}}

RIGHT_TO_LEFT = {"ar", "he", "fa", "ur"}

# How each language quotes a title in the heading: its own typographic quotation marks.
QUOTES = {
    "ar": ("”", "“"),
    "de": ("„", "“"),
    "en": ("“", "”"),
    "es": ("«", "»"),
    "fr": ("«\u00a0", "\u00a0»"),
    "he": ("”", "”"),
    "it": ("«", "»"),
    "ja": ("「", "」"),
    "nl": ("“", "”"),
    "pl": ("„", "”"),
    "pt": ("“", "”"),
    "ru": ("«", "»"),
    "zh": ("“", "”"),
}

# Unicode bidi isolates: an interpolated name or title keeps its own direction inside RTL text.
FSI, PDI = "\u2068", "\u2069"

LANGUAGES = widget.languages()
ENGLISH = json.loads((FOLDER / "en.json").read_text("utf-8"))


def load(language: str) -> dict[str, object]:
    return json.loads((FOLDER / f"{language}.json").read_text("utf-8"))


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def forms(message: object) -> dict[str, str]:
    """A message's forms by plural category; a plain string is its own single form."""
    return message if isinstance(message, dict) else {"": message}


def test_widget_speaks_at_least_twelve_languages_including_a_right_to_left_one() -> None:
    assert len(LANGUAGES) >= 12, LANGUAGES
    assert RIGHT_TO_LEFT & set(LANGUAGES)
    assert set(LANGUAGES) <= CATEGORIES.keys(), "add the new language's plural categories"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_exactly_the_english_keys_and_message_shapes(language: str) -> None:
    catalogue = load(language)
    assert list(catalogue) == list(ENGLISH)
    for key, english in ENGLISH.items():
        assert isinstance(catalogue[key], type(english)), key


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_messages_have_exactly_the_languages_cldr_categories(language: str) -> None:
    catalogue = load(language)
    for key, english in ENGLISH.items():
        if isinstance(english, dict):
            assert set(catalogue[key]) == CATEGORIES[language], key


@pytest.mark.parametrize("language", LANGUAGES)
def test_messages_keep_the_english_placeholders_and_are_never_empty(language: str) -> None:
    catalogue = load(language)
    for key, english in ENGLISH.items():
        expected = set().union(*(placeholders(text) for text in forms(english).values()))
        for category, text in forms(catalogue[key]).items():
            assert isinstance(text, str) and text.strip(), (key, category)
            found = placeholders(text)
            if category in SINGLE_NUMBER.get(language, ()):
                found |= {"n"} & expected
            assert found == expected, (key, category, text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_heading_quotes_the_title_with_the_languages_quotation_marks(language: str) -> None:
    start, end = QUOTES[language]
    for text in load(language)["heading"].values():
        assert re.search(f"{re.escape(start)}{FSI}?{{title}}{PDI}?{re.escape(end)}", text), text


@pytest.mark.parametrize("language", sorted(RIGHT_TO_LEFT & set(LANGUAGES)))
def test_right_to_left_catalogues_isolate_names_and_titles(language: str) -> None:
    """A left-to-right title ending in "?" must not have the "?" moved by the RTL sentence."""
    for key, message in load(language).items():
        for text in forms(message).values():
            for name in placeholders(text) - {"n"}:
                assert f"{FSI}{{{name}}}{PDI}" in text, (key, text)


def test_category_table_agrees_with_the_browsers_plural_rules(page) -> None:
    found = page.evaluate(
        "languages => Object.fromEntries(languages.map(lang => "
        "[lang, new Intl.PluralRules(lang).resolvedOptions().pluralCategories]))",
        sorted(CATEGORIES),
    )
    assert {language: set(names) for language, names in found.items()} == CATEGORIES
