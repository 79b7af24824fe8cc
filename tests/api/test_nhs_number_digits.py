"""An NHS number is ten of the digits 0 to 9. Python's str.isdigit() also passes superscripts
("²": int() then fails, which was a 500) and other scripts' digits ("٩": int() reads them, which
would have stored a number no NHS system holds); both are a 422 naming the field."""

import pytest

from api.vocab import nhs_number_is_valid
from tests.helpers import contact_body

VALID = "9434765919"
NOT_ASCII = {
    "a superscript two": "943476591²",
    "Arabic-Indic digits of a valid number": "٩٤٣٤٧٦٥٩١٩",
    "full-width digits of a valid number": "９４３４７６５９１９",
    "a fraction": "943476591½",
}


@pytest.mark.parametrize("number", NOT_ASCII.values(), ids=NOT_ASCII.keys())
def test_a_number_with_a_digit_other_than_0_to_9_is_not_valid(number):
    assert nhs_number_is_valid(number) is False


def test_a_valid_number_still_is():
    assert nhs_number_is_valid(VALID) is True


@pytest.mark.parametrize("number", NOT_ASCII.values(), ids=NOT_ASCII.keys())
def test_a_contact_with_such_a_number_is_a_422_naming_the_field(api_as, number):
    child = {"given_name": "Amelia", "family_name": "Hughes", "date_of_birth": "2019-04-02",
             "nhs_number": number}
    response = api_as("agency").post("/api/v1/contacts", json=contact_body(children=[child]))
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    assert "NHS number" in " ".join(response.json["errors"]["children[0].nhs_number"])
