"""Smart links: create/find/update/list/delete, atomic clicks, the global slug directory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.creators import Creator
from vesta_sql.records.smart_links import SmartLink

DESTINATIONS = {"spotify": "https://open.spotify.com/album/1", "youtube": "https://youtu.be/abc"}


def make_creator(db: Any, account: str, uniq: Callable[[str], str]) -> Creator:
    slug = uniq("ada")
    creator: Creator = db.creators.create(account_id=account, name="Ada", slug=slug, email=f"{slug}@example.com")
    return creator


def make_link(db: Any, account: str, uniq: Callable[[str], str], creator: Creator | None = None,
              **extra: Any) -> SmartLink:
    owner = creator or make_creator(db, account, uniq)
    params: dict[str, Any] = {"slug": uniq("album"), "title": "New album", "destinations": DESTINATIONS, **extra}
    link: SmartLink = db.smart_links.create(account_id=account, creator_id=owner.id, **params)
    return link


def test_create_returns_the_link_and_reads_back(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    slug = uniq("album")

    link = db.smart_links.create(account_id=acct, creator_id=creator.id, slug=slug, title="New album",
                                 destinations=DESTINATIONS)

    assert isinstance(link, SmartLink)
    assert (link.account_id, link.creator_id, link.slug, link.title) == (acct, creator.id, slug, "New album")
    assert link.destinations == DESTINATIONS
    assert link.click_count == 0 and type(link.click_count) is int
    assert link.created_at.tzinfo is not None and link.created_at == link.updated_at
    assert db.smart_links.find_by_id(account_id=acct, id=link.id) == link
    assert db.smart_links.find_by_slug(account_id=acct, slug=slug) == link


def test_finders_return_none_for_unknown_keys(db: Any, acct: str) -> None:
    assert db.smart_links.find_by_id(account_id=acct, id="missing") is None
    assert db.smart_links.find_by_slug(account_id=acct, slug="missing") is None


def test_destinations_must_be_an_object(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    with pytest.raises(errors.CheckViolation):
        db.smart_links.create(account_id=acct, creator_id=creator.id, slug=uniq("l"), destinations=["https://x.io"])
    with pytest.raises(errors.InvalidInputError):
        db.smart_links.create(account_id=acct, creator_id=creator.id, slug=uniq("l"), destinations="https://x.io")
    assert db.smart_links.list(account_id=acct) == []


def test_the_directory_follows_create_update_and_delete(db: Any, acct: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)
    assert db.resolve_account("smart_link", link.slug) == acct

    retitled = db.smart_links.update(account_id=acct, id=link.id, title="Same slug")
    assert retitled.slug == link.slug
    assert db.resolve_account("smart_link", link.slug) == acct

    new_slug = uniq("renamed")
    renamed = db.smart_links.update(account_id=acct, id=link.id, slug=new_slug)
    assert renamed.slug == new_slug
    assert db.smart_links.find_by_slug(account_id=acct, slug=new_slug) == renamed
    assert db.resolve_account("smart_link", new_slug) == acct
    assert db.resolve_account("smart_link", link.slug) is None

    assert db.smart_links.delete(account_id=acct, id=link.id) == 1
    assert db.smart_links.find_by_id(account_id=acct, id=link.id) is None
    assert db.resolve_account("smart_link", new_slug) is None
    assert db.smart_links.delete(account_id=acct, id=link.id) == 0


def test_a_slug_is_unique_across_accounts(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)

    with pytest.raises(errors.UniqueViolation):
        make_link(db, acct2, uniq, slug=link.slug)
    with pytest.raises(errors.UniqueViolation):
        make_link(db, acct, uniq, slug=link.slug)

    assert db.smart_links.list(account_id=acct2) == []
    assert [row.id for row in db.smart_links.list(account_id=acct)] == [link.id]
    assert db.resolve_account("smart_link", link.slug) == acct


def test_renaming_onto_a_taken_slug_is_refused_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    taken = make_link(db, acct2, uniq)
    link = make_link(db, acct, uniq)

    with pytest.raises(errors.UniqueViolation):
        db.smart_links.update(account_id=acct, id=link.id, slug=taken.slug)

    assert db.smart_links.find_by_id(account_id=acct, id=link.id) == link
    assert db.resolve_account("smart_link", link.slug) == acct
    assert db.resolve_account("smart_link", taken.slug) == acct2


def test_update_replaces_destinations_and_keeps_the_rest(db: Any, acct: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)
    destinations = {"bandcamp": "https://ada.bandcamp.com"}

    updated = db.smart_links.update(account_id=acct, id=link.id, destinations=destinations)

    assert updated.destinations == destinations
    assert (updated.slug, updated.title, updated.click_count) == (link.slug, link.title, link.click_count)
    assert updated.created_at == link.created_at and updated.updated_at >= link.updated_at
    assert db.smart_links.find_by_id(account_id=acct, id=link.id) == updated
    assert db.smart_links.update(account_id=acct, id="missing", title="X") is None


def test_record_click_counts_atomically_and_returns_the_destinations(db: Any, acct: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)

    clicks = [db.smart_links.record_click(account_id=acct, slug=link.slug) for _ in range(3)]

    assert [c.click_count for c in clicks] == [1, 2, 3]
    assert clicks[-1].destinations == DESTINATIONS
    assert clicks[-1].updated_at == link.updated_at
    assert db.smart_links.find_by_id(account_id=acct, id=link.id).click_count == 3
    assert db.smart_links.record_click(account_id=acct, slug="missing") is None


def test_a_public_click_resolves_the_account_first(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)

    account = db.resolve_account("smart_link", link.slug)
    assert account == acct
    clicked = db.smart_links.record_click(account_id=account, slug=link.slug)

    assert clicked.id == link.id and clicked.click_count == 1
    assert db.smart_links.record_click(account_id=acct2, slug=link.slug) is None
    assert db.smart_links.find_by_id(account_id=acct, id=link.id).click_count == 1


def test_list_pages_with_keyset_and_filters_by_creator(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    other = make_creator(db, acct, uniq)
    mine = [make_link(db, acct, uniq, creator=creator) for _ in range(3)]
    theirs = make_link(db, acct, uniq, creator=other)

    everything = db.smart_links.list(account_id=acct)
    first = db.smart_links.list(account_id=acct, limit=2)
    second = db.smart_links.list(account_id=acct, limit=2, before_created_at=first[-1].created_at,
                                 before_id=first[-1].id)

    assert {row.id for row in everything} == {row.id for row in mine} | {theirs.id}
    assert first + second == everything and len(second) == 2
    assert everything == sorted(everything, key=lambda row: (row.created_at, row.id), reverse=True)
    assert {row.id for row in db.smart_links.list(account_id=acct, creator_id=creator.id)} == {row.id for row in mine}
    assert db.smart_links.list(account_id=acct, creator_id=other.id) == [theirs]


def test_another_accounts_creator_is_a_foreign_key_violation(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    slug = uniq("album")

    with pytest.raises(errors.ForeignKeyViolation):
        db.smart_links.create(account_id=acct2, creator_id=creator.id, slug=slug, destinations=DESTINATIONS)
    assert db.resolve_account("smart_link", slug) is None
    assert db.smart_links.list(account_id=acct2) == []


def test_deleting_the_creator_deletes_its_links_and_their_entries(db: Any, acct: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)

    assert db.creators.delete(account_id=acct, id=link.creator_id) == 1

    assert db.smart_links.find_by_id(account_id=acct, id=link.id) is None
    assert db.resolve_account("smart_link", link.slug) is None


def test_another_account_sees_nothing_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    link = make_link(db, acct, uniq)

    assert db.smart_links.find_by_id(account_id=acct2, id=link.id) is None
    assert db.smart_links.find_by_slug(account_id=acct2, slug=link.slug) is None
    assert db.smart_links.list(account_id=acct2) == []
    assert db.smart_links.update(account_id=acct2, id=link.id, title="Hijacked") is None
    assert db.smart_links.delete(account_id=acct2, id=link.id) == 0

    assert db.smart_links.find_by_id(account_id=acct, id=link.id) == link
    assert db.resolve_account("smart_link", link.slug) == acct
