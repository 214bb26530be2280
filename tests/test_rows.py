"""Records built by the compiled row converters are the records their constructors build."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest

from vesta_sql.dialects.sqlite import DECODERS
from vesta_sql.records import Creator
from vesta_sql.rows import build_converter

COLUMNS = ["id", "account_id", "name", "slug", "bio", "email", "workos_org_id", "created_at", "updated_at"]
CREATED, UPDATED = "2026-01-02T03:04:05.000006Z", "2026-02-03T04:05:06.000007Z"


def _row(updated: str | None = UPDATED, org: str | None = None) -> tuple[Any, ...]:
    return ("c1", "acc_1", "Ann", "ann", "", "a@example.com", org, CREATED, updated)


@pytest.mark.parametrize("updated", [UPDATED, CREATED])
def test_a_converted_record_is_the_constructed_one(updated: str) -> None:
    convert = build_converter(Creator, COLUMNS, DECODERS, "creators.find_by_id")
    record = convert(_row(updated))
    expected = Creator("c1", "acc_1", "Ann", "ann", "", "a@example.com", None,
                       datetime.fromisoformat(CREATED), datetime.fromisoformat(updated))
    assert record == expected and hash(record) == hash(expected) and repr(record) == repr(expected)
    assert record.created_at.tzinfo is timezone.utc
    assert dataclasses.asdict(record) == dataclasses.asdict(expected)
    assert dataclasses.replace(record, name="Bo") == dataclasses.replace(expected, name="Bo")
    assert [field.name for field in dataclasses.fields(record)] == COLUMNS
    with pytest.raises(dataclasses.FrozenInstanceError):
        record.name = "Bo"


def test_columns_in_another_order_land_in_their_fields() -> None:
    columns = list(reversed(COLUMNS))
    convert = build_converter(Creator, columns, DECODERS, "creators.find_by_id")
    record = convert(tuple(reversed(_row(org="org_1"))))
    assert (record.id, record.workos_org_id, record.updated_at) == ("c1", "org_1", datetime.fromisoformat(UPDATED))


@dataclass(frozen=True)
class Plain:
    """An app's record without slots."""

    id: str
    created_at: datetime


@dataclass(frozen=True)
class Checked:
    """An app's record that validates in `__post_init__`: rows still go through it."""

    id: str
    created_at: datetime

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("empty id")


def test_an_app_record_without_slots_converts_too() -> None:
    record = build_converter(Plain, ["id", "created_at"], DECODERS, "q")(("p1", CREATED))
    assert record == Plain("p1", datetime.fromisoformat(CREATED))
    assert dataclasses.asdict(record) == {"id": "p1", "created_at": datetime.fromisoformat(CREATED)}


def test_an_app_record_with_post_init_runs_it() -> None:
    convert = build_converter(Checked, ["id", "created_at"], DECODERS, "q")
    assert convert(("k1", CREATED)) == Checked("k1", datetime.fromisoformat(CREATED))
    with pytest.raises(ValueError, match="empty id"):
        convert(("", CREATED))
