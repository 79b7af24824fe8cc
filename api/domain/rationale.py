"""Checks shared by the rules: a rationale must be real (the inspectors' first finding was
decisions without one), and a client's timestamp must not be in the future."""

import re
from datetime import timedelta

from flask import current_app

from ..errors import RuleViolation

MIN_LENGTH = 20
# Phrases that stand in for a rationale without giving one, however they are written.
PLACEHOLDERS = (
    "n/a", "na", "n a", "nfa", "no further action", "tbc", "tbd", "to be confirmed",
    "see notes", "see case notes", "see above", "see below", "as above", "as per notes",
    "as discussed", "see attached", "see record", "see file", "none", "nil", "no comment",
    "not applicable", "same as before", "as previous", "ditto", "refer to notes", "xxx", "test",
)
_PLACEHOLDER_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(re.sub(r"[^a-z0-9]+", " ", p)) for p in
                      sorted(PLACEHOLDERS, key=len, reverse=True)) + r")\b"
)

# Words that only pad a placeholder out ("Please see the case notes for details"): they say
# where a reason might be, or that one will come, never what it is.
FILLER_WORDS = (
    "a", "an", "the", "and", "or", "for", "of", "on", "in", "to", "at", "is", "be", "per",
    "please", "pls", "thanks", "thank", "you", "kindly", "refer", "see", "notes", "note", "case",
    "record", "records", "file", "system", "details", "detail", "information", "info", "reason",
    "reasons", "rationale", "decision", "contact", "previous", "previously", "same", "as",
    "above", "below", "attached", "follow", "follows", "later", "today", "pending",
)
_FILLER_PATTERN = re.compile(r"\b(" + "|".join(FILLER_WORDS) + r")\b")
# A word that is one short run typed over and over: xxxxxxxx, asdfasdf, testtest.
_REPEATED_PATTERN = re.compile(r"\b([a-z0-9]{1,4}?)\1+\b")


def _normalise(text):
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def is_placeholder(text):
    """True when nothing but stand-in phrases, filler and punctuation remains."""
    remainder = _PLACEHOLDER_PATTERN.sub(" ", _normalise(text))
    remainder = _FILLER_PATTERN.sub(" ", _REPEATED_PATTERN.sub(" ", remainder))
    return len(re.sub(r"[^a-z]", "", remainder)) < 3


def check_not_future(field, instant, current):
    """Timestamps a client sends may run ahead of ours by CLOCK_SKEW_SECONDS, no more."""
    if instant > current + timedelta(seconds=current_app.config["CLOCK_SKEW_SECONDS"]):
        raise RuleViolation(field, "Must not be in the future.")


def check_rationale(field, text, *, required=True, explains="the decision"):
    """Required, at least 20 characters once trimmed, and not a placeholder. `explains`: what it
    is the reason for, as its message says (a RAG rating's reason is judged the same way)."""
    text = (text or "").strip()
    if not text:
        if required:
            raise RuleViolation(field, "A rationale is required.")
        return None
    if len(text) < MIN_LENGTH:
        raise RuleViolation(
            field, f"A rationale must explain {explains}: at least {MIN_LENGTH} characters."
        )
    if is_placeholder(text):
        raise RuleViolation(
            field, "A placeholder (n/a, see notes, as above, nfa, tbc ...) is not a rationale."
        )
    return text
