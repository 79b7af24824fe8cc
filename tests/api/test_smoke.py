from tests.conftest import contact_body


def test_a_police_system_records_a_contact_and_reads_it_back(api_as):
    police = api_as("agency", agency="wmp")
    created = police.post("/api/v1/contacts", json=contact_body())
    assert created.status_code == 201, created.json
    read = police.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json["reference"] == created.json["reference"]
    assert read.json["status"] == "awaiting_decision"
