"""Service-taboo (服务禁语) detection, shared by the training guard, the actions and the audit.

Phrases come from hotline.yml `forbidden_phrases`. Matching uses spaCy's
PhraseMatcher over single characters of a normalised text (punctuation and
whitespace removed, Traditional folded to Simplified, full-width to half-width),
so "喂, 说话 呀!" and "喂說話呀" both match "喂,说话呀".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.matcher import PhraseMatcher

from bot.config import hotline_config


@dataclass(frozen=True)
class PhraseHit:
    phrase: str
    start: int  # character offsets in the original text
    end: int


class ComplianceError(ValueError):
    """Raised when text meant for a caller contains a forbidden phrase."""


def _is_skippable(char: str) -> bool:
    category = unicodedata.category(char)
    return char.isspace() or category.startswith("P") or category.startswith("S")


@lru_cache(maxsize=1)
def _to_simplified():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


def normalise_for_matching(text: str) -> tuple[str, list[int]]:
    """Fold text for matching; return it with each kept char's offset in `text`."""
    simplified = _to_simplified().convert(unicodedata.normalize("NFKC", text))
    # t2s is one-to-one per character for the phrases we match, so offsets hold.
    if len(simplified) != len(text):
        simplified = unicodedata.normalize("NFKC", text)
    kept: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(simplified):
        if not _is_skippable(char):
            kept.append(char.lower())
            offsets.append(index)
    return "".join(kept), offsets


class ForbiddenPhraseMatcher:
    """Finds forbidden phrases in text, tolerant of punctuation, spacing and script."""

    def __init__(self, phrases: Iterable[str]) -> None:
        self._nlp = spacy.blank("zh")  # default segmenter: one token per character
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        self.phrases: list[str] = []
        for phrase in phrases:
            folded, _ = normalise_for_matching(phrase)
            if folded:
                self.phrases.append(phrase)
                self._matcher.add(phrase, [self._nlp.make_doc(folded)])

    def find(self, text: str) -> list[PhraseHit]:
        folded, offsets = normalise_for_matching(text or "")
        if not folded:
            return []
        doc = self._nlp.make_doc(folded)
        hits = []
        for match_id, start, end in self._matcher(doc):
            span = doc[start:end]
            begin = offsets[span.start_char]
            finish = offsets[span.end_char - 1] + 1
            hits.append(PhraseHit(self._nlp.vocab.strings[match_id], begin, finish))
        return sorted(hits, key=lambda hit: hit.start)

    def check(self, text: str) -> None:
        """Raise ComplianceError if `text` contains a forbidden phrase."""
        hits = self.find(text)
        if hits:
            found = ", ".join(sorted({hit.phrase for hit in hits}))
            raise ComplianceError(f"forbidden service phrase(s) {found} in: {text!r}")


@lru_cache(maxsize=1)
def default_matcher() -> ForbiddenPhraseMatcher:
    return ForbiddenPhraseMatcher(hotline_config().forbidden_phrases)


def check_texts(texts: Sequence[tuple[str, str]]) -> list[str]:
    """Check labelled texts; return one problem line per text with a forbidden phrase."""
    matcher = default_matcher()
    problems = []
    for label, text in texts:
        hits = matcher.find(text)
        if hits:
            phrases = ", ".join(sorted({hit.phrase for hit in hits}))
            problems.append(f"{label}: contains {phrases}: {text}")
    return problems


def domain_response_texts(domain_path: str) -> list[tuple[str, str]]:
    """All texts of a domain file's responses, labelled `utter_name[i]`."""
    import yaml

    with open(domain_path, encoding="utf-8") as handle:
        domain = yaml.safe_load(handle) or {}
    texts = []
    for name, variants in (domain.get("responses") or {}).items():
        for index, variant in enumerate(variants or []):
            if variant.get("text"):
                texts.append((f"{name}[{index}]", str(variant["text"])))
            for button in variant.get("buttons") or []:
                texts.append((f"{name}[{index}].button", str(button.get("title", ""))))
    return texts
