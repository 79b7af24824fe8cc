"""CHECK constraints holding a column to a vocabulary of api/vocab.py, so that a row written
behind the API's back with an unknown value is refused by the database, on either engine.

Named by the constraint name given here (ck_<table>_<name>, the convention in api/db.py). A NULL
passes a CHECK, so a nullable column may still be empty. The migration that adds them (0009)
carries its own copy of the values and of this SQL, as a landed migration must not change.
"""

from sqlalchemy import CheckConstraint


def _quoted(value):
    return "'" + value.replace("'", "''") + "'"


def one_of(column, values):
    """`column` holds one of `values`."""
    return CheckConstraint(f"{column} IN ({', '.join(map(_quoted, values))})", name=column)


def list_of(column, values):
    """`column`, a JSON list, holds only `values`. Neither engine allows a subquery in a CHECK
    (so no json_each or jsonb_array_elements): the text is tested instead. It is one flat list,
    and once each known value (quoted) is blanked out only brackets, commas and spaces are left.
    A value is blanked with a space, not removed, so that no two fragments join into a value."""
    text = f"CAST({column} AS TEXT)"
    rest = text
    for value in values:
        rest = f"replace({rest}, {_quoted(chr(34) + value + chr(34))}, ' ')"
    return CheckConstraint(
        f"{text} LIKE '[%]' AND {text} NOT LIKE '_%[%' AND {text} NOT LIKE '%]_%' "
        f"AND ltrim({rest}, '[], ') = ''",
        name=column,
    )


def direction_of(direction, from_service, to_service, directions):
    """`direction` is one of `directions` and the two services are the ones it moves between."""
    pairs = " OR ".join(
        f"({direction} = {_quoted(name)} AND {from_service} = {_quoted(source)} "
        f"AND {to_service} = {_quoted(target)})"
        for name, (source, target) in directions.items()
    )
    return CheckConstraint(pairs, name=direction)
