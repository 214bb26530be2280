"""Creators: create/find/update/list/delete, labels, the SSO directory, tenant isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vesta_sql import errors
from vesta_sql.records.creators import Creator, CreatorLabel


def make_creator(db: Any, account: str, uniq: Callable[[str], str], **extra: Any) -> Creator:
    slug = uniq("ada")
    params: dict[str, Any] = {"name": "Ada", "slug": slug, "email": f"{slug}@example.com", **extra}
    creator: Creator = db.creators.create(account_id=account, **params)
    return creator


def test_create_returns_the_row_and_every_finder_reads_it_back(db: Any, acct: str, uniq: Any) -> None:
    slug = uniq("ada")
    creator = db.creators.create(account_id=acct, name="Ada Lovelace", slug=slug, email=f"{slug}@example.com",
                                 bio="Poet of numbers")

    assert isinstance(creator, Creator)
    assert creator.account_id == acct
    assert (creator.name, creator.slug, creator.bio) == ("Ada Lovelace", slug, "Poet of numbers")
    assert creator.email == f"{slug}@example.com"
    assert creator.workos_org_id is None
    assert creator.created_at.tzinfo is not None and creator.created_at == creator.updated_at
    assert db.creators.find_by_id(account_id=acct, id=creator.id) == creator
    assert db.creators.find_by_slug(account_id=acct, slug=slug) == creator
    assert db.creators.find_by_email(account_id=acct, email=creator.email) == creator


def test_bio_defaults_to_empty(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    assert creator.bio == ""
    assert db.creators.find_by_id(account_id=acct, id=creator.id).bio == ""


def test_finders_return_none_for_unknown_keys(db: Any, acct: str) -> None:
    assert db.creators.find_by_id(account_id=acct, id="missing") is None
    assert db.creators.find_by_slug(account_id=acct, slug="missing") is None
    assert db.creators.find_by_email(account_id=acct, email="missing@example.com") is None


def test_duplicate_slug_or_email_in_one_account_is_refused(db: Any, acct: str, uniq: Any) -> None:
    first = make_creator(db, acct, uniq)

    with pytest.raises(errors.UniqueViolation):
        db.creators.create(account_id=acct, name="Bob", slug=first.slug, email="bob@example.com")
    with pytest.raises(errors.UniqueViolation):
        db.creators.create(account_id=acct, name="Bob", slug=uniq("bob"), email=first.email)
    assert [c.id for c in db.creators.list(account_id=acct)] == [first.id]


def test_the_same_slug_and_email_are_fine_in_another_account(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    first = make_creator(db, acct, uniq)

    other = db.creators.create(account_id=acct2, name="Ada", slug=first.slug, email=first.email)

    assert db.creators.find_by_slug(account_id=acct2, slug=first.slug) == other
    assert db.creators.find_by_slug(account_id=acct, slug=first.slug) == first


def test_invalid_values_are_refused_by_checks(db: Any, acct: str, uniq: Any) -> None:
    with pytest.raises(errors.CheckViolation):
        db.creators.create(account_id=acct, name="Ada", slug="Not A Slug", email=f"{uniq('a')}@example.com")
    with pytest.raises(errors.CheckViolation):
        db.creators.create(account_id=acct, name="Ada", slug=uniq("ada"), email="no-at-sign")
    assert db.creators.list(account_id=acct) == []


def test_partial_update_changes_only_the_given_fields(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq, bio="old bio")

    updated = db.creators.update(account_id=acct, id=creator.id, bio="new bio")

    assert updated is not None
    assert updated.bio == "new bio"
    assert (updated.name, updated.slug, updated.email) == (creator.name, creator.slug, creator.email)
    assert updated.created_at == creator.created_at
    assert updated.updated_at >= creator.updated_at
    assert db.creators.find_by_id(account_id=acct, id=creator.id) == updated

    new_slug = uniq("lovelace")
    renamed = db.creators.update(account_id=acct, id=creator.id, name="Countess", slug=new_slug)
    assert (renamed.name, renamed.slug, renamed.bio) == ("Countess", new_slug, "new bio")
    assert db.creators.find_by_slug(account_id=acct, slug=new_slug) == renamed
    assert db.creators.find_by_slug(account_id=acct, slug=creator.slug) is None


def test_update_of_an_unknown_creator_returns_none(db: Any, acct: str) -> None:
    assert db.creators.update(account_id=acct, id="missing", name="X") is None


def test_list_pages_with_keyset_newest_first(db: Any, acct: str, uniq: Any) -> None:
    made = {make_creator(db, acct, uniq).id for _ in range(5)}

    everything = db.creators.list(account_id=acct)
    first = db.creators.list(account_id=acct, limit=3)
    last = first[-1]
    second = db.creators.list(account_id=acct, limit=3, before_created_at=last.created_at, before_id=last.id)

    assert {c.id for c in everything} == made
    assert [c.id for c in first + second] == [c.id for c in everything]
    assert len(first) == 3 and len(second) == 2
    keys = [(c.created_at, c.id) for c in everything]
    assert keys == sorted(keys, reverse=True)
    assert db.creators.list(account_id=acct, limit=3, before_created_at=second[-1].created_at,
                            before_id=second[-1].id) == []


def test_delete_removes_the_creator_and_cascades(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    db.creators.add_label(account_id=acct, creator_id=creator.id, label="vip")
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Hello")

    assert db.creators.delete(account_id=acct, id=creator.id) == 1

    assert db.creators.find_by_id(account_id=acct, id=creator.id) is None
    assert db.creators.list_labels(account_id=acct, creator_id=creator.id) == []
    assert db.posts.find_by_id(account_id=acct, id=post.id) is None
    assert db.creators.delete(account_id=acct, id=creator.id) == 0


def test_labels_add_is_idempotent_and_remove_detaches(db: Any, acct: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    assert db.creators.add_label(account_id=acct, creator_id=creator.id, label="vip") == 1
    assert db.creators.add_label(account_id=acct, creator_id=creator.id, label="vip") == 0
    assert db.creators.add_label(account_id=acct, creator_id=creator.id, label="early") == 1

    labels = db.creators.list_labels(account_id=acct, creator_id=creator.id)
    assert all(isinstance(label, CreatorLabel) for label in labels)
    assert [label.label for label in labels] == ["early", "vip"]
    assert {(label.account_id, label.creator_id) for label in labels} == {(acct, creator.id)}

    assert db.creators.remove_label(account_id=acct, creator_id=creator.id, label="vip") == 1
    assert db.creators.remove_label(account_id=acct, creator_id=creator.id, label="vip") == 0
    assert [label.label for label in db.creators.list_labels(account_id=acct, creator_id=creator.id)] == ["early"]


def test_label_for_another_accounts_creator_is_refused(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)

    with pytest.raises(errors.ForeignKeyViolation):
        db.creators.add_label(account_id=acct2, creator_id=creator.id, label="vip")
    assert db.creators.list_labels(account_id=acct, creator_id=creator.id) == []
    assert db.creators.list_labels(account_id=acct2, creator_id=creator.id) == []


def test_sso_org_directory_follows_create_update_unlink_delete(db: Any, acct: str, uniq: Any) -> None:
    org = uniq("org")
    creator = make_creator(db, acct, uniq, workos_org_id=org)
    assert creator.workos_org_id == org
    assert db.resolve_account("sso_org", org) == acct

    moved = uniq("org")
    updated = db.creators.update(account_id=acct, id=creator.id, workos_org_id=moved)
    assert updated.workos_org_id == moved
    assert db.resolve_account("sso_org", org) is None
    assert db.resolve_account("sso_org", moved) == acct

    db.creators.update(account_id=acct, id=creator.id, name="Renamed")
    assert db.resolve_account("sso_org", moved) == acct

    unlinked = db.creators.unlink_sso_org(account_id=acct, id=creator.id)
    assert unlinked is not None and unlinked.workos_org_id is None
    assert db.creators.find_by_id(account_id=acct, id=creator.id).workos_org_id is None
    assert db.resolve_account("sso_org", moved) is None
    assert db.creators.unlink_sso_org(account_id=acct, id="missing") is None

    db.creators.update(account_id=acct, id=creator.id, workos_org_id=org)
    assert db.resolve_account("sso_org", org) == acct
    assert db.creators.delete(account_id=acct, id=creator.id) == 1
    assert db.resolve_account("sso_org", org) is None


def test_an_sso_org_belongs_to_one_account(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    org = uniq("org")
    make_creator(db, acct, uniq, workos_org_id=org)

    with pytest.raises(errors.UniqueViolation):
        make_creator(db, acct2, uniq, workos_org_id=org)
    assert db.creators.list(account_id=acct2) == []
    assert db.resolve_account("sso_org", org) == acct


def test_another_account_sees_nothing_and_changes_nothing(db: Any, acct: str, acct2: str, uniq: Any) -> None:
    creator = make_creator(db, acct, uniq)
    db.creators.add_label(account_id=acct, creator_id=creator.id, label="vip")

    assert db.creators.find_by_id(account_id=acct2, id=creator.id) is None
    assert db.creators.find_by_slug(account_id=acct2, slug=creator.slug) is None
    assert db.creators.find_by_email(account_id=acct2, email=creator.email) is None
    assert db.creators.list(account_id=acct2) == []
    assert db.creators.list_labels(account_id=acct2, creator_id=creator.id) == []
    assert db.creators.update(account_id=acct2, id=creator.id, name="Hijacked") is None
    assert db.creators.remove_label(account_id=acct2, creator_id=creator.id, label="vip") == 0
    assert db.creators.delete(account_id=acct2, id=creator.id) == 0

    assert db.creators.find_by_id(account_id=acct, id=creator.id) == creator
    assert [label.label for label in db.creators.list_labels(account_id=acct, creator_id=creator.id)] == ["vip"]


def test_a_call_without_an_account_is_refused(db: Any, uniq: Any) -> None:
    with pytest.raises(errors.TenantScopeError):
        db.creators.find_by_slug(slug=uniq("ada"))
