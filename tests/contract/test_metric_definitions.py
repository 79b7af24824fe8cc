"""The metric definitions are one text: the README and the OpenAPI descriptions say the same."""

from pathlib import Path

import pytest
import yaml

from schemas.metrics import DEFINITIONS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("figure", sorted(DEFINITIONS))
def test_each_metric_definition_is_in_the_readme_word_for_word(figure):
    name = figure.split(".", 1)[1]
    assert f"- `{name}`: {DEFINITIONS[figure]}" in (ROOT / "README.md").read_text()


def test_each_metric_definition_is_an_openapi_description():
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    schemas = spec["components"]["schemas"]
    descriptions = {
        prop.get("description")
        for schema in schemas.values()
        for prop in schema.get("properties", {}).values()
    }
    missing = [f for f, text in DEFINITIONS.items() if text not in descriptions]
    assert not missing, f"not in openapi.yaml (run make openapi): {missing}"
