"""openapi.yaml says of every list a request body may carry that it is bounded and takes no item
twice (maxItems, uniqueItems), and of every map that it is bounded (maxProperties): what the API
refuses (tests/api/test_lists_are_bounded_and_unique.py), a partner's generated client can know."""

from pathlib import Path

import yaml

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())


def resolve(schema):
    while "$ref" in schema:
        schema = SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def lists_and_maps(schema, path, seen):
    """(path, schema) of every array and every map (an object of additionalProperties) within."""
    if "$ref" in schema:
        name = schema["$ref"]
        if name in seen:
            return
        seen = seen | {name}
        schema = resolve(schema)
    if schema.get("type") == "array":
        yield path, schema
        yield from lists_and_maps(schema["items"], f"{path}[]", seen)
    if isinstance(schema.get("additionalProperties"), dict):
        yield path, schema
        yield from lists_and_maps(schema["additionalProperties"], f"{path}.*", seen)
    for part in schema.get("allOf", []) + schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from lists_and_maps(part, path, seen)
    for name, prop in (schema.get("properties") or {}).items():
        yield from lists_and_maps(prop, f"{path}.{name}", seen)


def request_bodies():
    for path, item in SPEC["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for media in operation["requestBody"]["content"].values():
                yield f"{method.upper()} {path}", media["schema"]


def test_the_document_has_request_bodies_with_lists_to_check():
    found = [p for op, schema in request_bodies() for p, _ in lists_and_maps(schema, op, set())]
    assert len(found) >= 10, found


def test_every_list_in_a_request_body_is_bounded_and_unique():
    unbounded = []
    for operation, schema in request_bodies():
        for path, found in lists_and_maps(schema, operation, set()):
            if found.get("type") == "array":
                if not isinstance(found.get("maxItems"), int) or found.get("uniqueItems") is not True:
                    unbounded.append(path)
                elif "once" not in found.get("description", "") and "twice" not in found.get(
                        "description", ""):
                    unbounded.append(f"{path} (description does not say each item once)")
            elif not isinstance(found.get("maxProperties"), int):
                unbounded.append(path)
    assert unbounded == []


def test_a_list_of_records_says_which_field_makes_two_the_same():
    meeting = SPEC["components"]["schemas"]["MeetingCreate"]["properties"]
    assert "each agency once" in meeting["invited"]["description"]
    outcome = SPEC["components"]["schemas"]["MeetingOutcomeCreate"]["properties"]
    assert "each agency once" in outcome["attendance"]["description"]
    icpc = SPEC["components"]["schemas"]["IcpcCreate"]["properties"]
    assert "each child_id once" in icpc["child_protection_plan"]["description"]
