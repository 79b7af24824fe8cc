"""A rationale must be real: required, at least 20 characters once trimmed, not a placeholder."""

import pytest

from api.domain.rationale import MIN_LENGTH, check_rationale, is_placeholder
from api.errors import RuleViolation

REAL = "Mother confirms the partner has left; school reports no injuries and good attendance."


def refusal(text, field="rationale", **kwargs):
    with pytest.raises(RuleViolation) as raised:
        check_rationale(field, text, **kwargs)
    assert raised.value.status == 422
    assert list(raised.value.errors) == [field]
    return raised.value.errors[field][0]


def test_a_real_rationale_is_accepted_as_written():
    assert check_rationale("rationale", REAL) == REAL


def test_a_rationale_is_returned_trimmed():
    assert check_rationale("rationale", f" \n\t{REAL}  \n") == REAL


@pytest.mark.parametrize("text", [None, "", "   ", "\n\t \r\n"])
def test_a_missing_or_blank_rationale_is_refused_as_required(text):
    assert "required" in refusal(text)


@pytest.mark.parametrize("text", [None, "", "   "])
def test_a_missing_rationale_is_allowed_where_it_is_optional(text):
    assert check_rationale("rationale", text, required=False) is None


def test_an_optional_rationale_once_given_must_still_be_real():
    assert "placeholder" in refusal("See notes, see notes, see notes", required=False)
    assert check_rationale("rationale", REAL, required=False) == REAL


def test_the_minimum_is_20_characters():
    assert MIN_LENGTH == 20


def test_a_rationale_of_19_characters_is_refused_as_too_short():
    nineteen = "Child safe with mum"
    assert len(nineteen) == 19
    assert "at least 20 characters" in refusal(nineteen)


def test_a_rationale_of_20_characters_is_accepted():
    twenty = "Child safe with mum."
    assert len(twenty) == 20
    assert check_rationale("rationale", twenty) == twenty


def test_white_space_does_not_count_towards_the_20_characters():
    padded = "     Child safe with mum        "
    assert len(padded) > 20
    assert "at least 20 characters" in refusal(padded)


def test_the_refusal_names_the_field_it_was_given():
    assert "required" in refusal("", field="response.rationale")


@pytest.mark.parametrize("text", [
    "n/a n/a n/a n/a n/a n/a",
    "N/A - N/A - N/A - N/A",
    "NA. NA. NA. NA. NA. NA. NA.",
    "Not applicable / not applicable",
    "See notes. See notes. See notes.",
    "SEE CASE NOTES; SEE CASE NOTES",
    "As above, as above, as above.",
    "See above ... see below ... see attached",
    "NFA NFA NFA NFA NFA NFA NFA NFA",
    "No further action. No further action.",
    "tbc .............................",
    "TBD, to be confirmed, TBC!!!",
    "None. Nil. N/A. No comment.",
    "Same as before; as previous; ditto.",
    "Refer to notes / as per notes / see record",
    "test test test test test test",
    "xxx xxx xxx xxx xxx xxx xxx",
    "....................................",
    "------------------------------------",
    "12345678901234567890",
])
def test_a_stand_in_phrase_is_refused_as_a_placeholder_whatever_its_case(text):
    assert len(text.strip()) >= MIN_LENGTH
    assert is_placeholder(text)
    assert "placeholder" in refusal(text)


@pytest.mark.parametrize("text", [
    "Please see the case notes.",
    "Please see case notes for details",
    "See notes on file, thank you",
    "Refer to case notes on the system",
    "See previous decision for reasons",
    "Same as the previous contact, NFA",
    "TBC - to be confirmed later",
    "Rationale to follow later today",
    "Information to follow, pending",
    "n/a as per notes please",
    "xxxxxxxxxxxxxxxxxxxxxxxx",
    "asdfasdfasdfasdfasdfasdf",
    "testtesttesttesttesttest",
])
def test_a_stand_in_padded_out_with_filler_is_refused_as_a_placeholder(text):
    assert len(text.strip()) >= MIN_LENGTH
    assert "placeholder" in refusal(text)


@pytest.mark.parametrize("text, placeholder", [
    ("Please see the case notes: ok", True),  # two letters left over
    ("Please see the case notes: PLO", False),  # three: the Public Law Outline
])
def test_three_letters_beyond_stand_ins_and_filler_are_more_than_a_placeholder(text, placeholder):
    assert len(text) >= MIN_LENGTH
    assert is_placeholder(text) is placeholder


@pytest.mark.parametrize("text", [
    REAL,
    "NFA: school notes show 98% attendance and no marks; mother engaged with the GP.",
    "As above, mother confirms the partner has left and the locks have been changed.",
    "Awaiting test results from the hospital; no concerns about care at home.",
    "Not applicable for early help: family declined; no safeguarding concerns found.",
    "See notes: mother has left the home with the children and is at her sister's.",
    "Mama says the baby cries a lot at night; no injuries seen by the health visitor.",
    "Child safe with mum; dad in custody.",
    "Existing case: allocated social worker informed the same day.",
])
def test_a_real_rationale_that_mentions_stand_in_words_is_accepted(text):
    assert not is_placeholder(text)
    assert check_rationale("rationale", text) == text.strip()
