from collections import Counter

import pytest
from conftest import SEED, SYNTHETIC

from nkdiplomacy.corpus.annotations import read_annotations
from nkdiplomacy.corpus.splits import grouped_folds, held_out_groups, outlet_brand
from nkdiplomacy.records import Annotation


def rec(doc, origin="real", source=None, outlet=None, seg=0, genre=None):
    return Annotation(doc, seg, "text", False, None, origin, source=source, outlet=outlet, genre=genre)


def corpus():
    rows = [rec("s1", "seed"), rec("s2", "seed"), rec("syn", "synthetic")]
    rows += [rec(f"k{i}", source="kcna", outlet="KCNA", seg=j) for i in range(12) for j in range(3)]
    for outlet, n in {"Reuters": 4, "BBC": 3, "CNN": 2, "Vox": 1, "NPR": 1, "Fox": 2, "AP": 1}.items():
        rows += [rec(f"{outlet}{i}", source="abp", outlet=outlet) for i in range(n)]
    return rows


def assert_disjoint(rows, folds, key):
    for fold in folds:
        test = {key(rows[i]) for i in fold.test}
        train = {key(rows[i]) for i in fold.train}
        assert not test & train, fold.name
        assert sorted(fold.train + fold.test) == list(range(len(rows)))
        assert all(rows[i].origin != "synthetic" for i in fold.test)


def test_source_folds_hold_out_kcna_seed_and_whole_outlets():
    rows = corpus()
    folds = grouped_folds(rows, "source", outlet_groups=3)
    assert [f.name for f in folds] == ["kcna", "outlets-1", "outlets-2", "outlets-3", "seed"]
    assert_disjoint(rows, folds, key=lambda r: r.outlet or r.origin)
    kcna = next(f for f in folds if f.name == "kcna")
    assert {rows[i].source for i in kcna.test} == {"kcna"} and len(kcna.test) == 36


def test_story_folds_split_kcna_by_story_never_by_line():
    rows = corpus()
    folds = grouped_folds(rows, "story", outlet_groups=2, kcna_folds=4)
    kcna = [f for f in folds if f.name.startswith("kcna-")]
    assert len(kcna) == 4
    assert_disjoint(rows, folds, key=lambda r: r.doc_id)
    assert sum(len(f.test) for f in kcna) == 36
    for fold in folds:  # outlets stay whole here too
        test = {rows[i].outlet for i in fold.test if rows[i].source == "abp"}
        train = {rows[i].outlet for i in fold.train if rows[i].source == "abp"}
        assert not test & train


def test_genre_folds_hold_out_each_genre_whole_and_pool_the_rare_ones():
    rows = [rec("syn", "synthetic"), rec("s1", "seed", genre="news")]
    rows += [
        rec(f"n{i}", source="abp", outlet=f"o{i % 4}", genre="news", seg=j)
        for i in range(20)
        for j in range(2)
    ]
    rows += [rec(f"k{i}", source="kcna", outlet="KCNA", genre="kcna") for i in range(15)]
    rows += [rec(f"t{i}", source="heritage", outlet="Heritage", genre="think_tank") for i in range(9)]
    rows += [rec(f"a{i}", source="st", outlet="ST", genre="asian_outlet") for i in range(3)]
    folds = grouped_folds(rows, "genre")
    assert [f.name for f in folds] == ["kcna", "news", "rare-genres"]
    assert_disjoint(rows, folds, key=lambda r: r.genre)
    news = next(f for f in folds if f.name == "news")
    assert {rows[i].doc_id for i in news.test} == {"s1"} | {f"n{i}" for i in range(20)}  # seed pages by genre
    rare = next(f for f in folds if f.name == "rare-genres")
    assert {rows[i].genre for i in rare.test} == {"think_tank", "asian_outlet"}


def test_genre_scheme_refuses_real_records_without_a_genre():
    with pytest.raises(ValueError, match="needs a genre on every real record; 'k0' has none"):
        grouped_folds([rec("k0", source="kcna")], "genre")


def test_article_folds_leave_one_real_page_out():
    rows = read_annotations([SEED, SYNTHETIC])
    folds = grouped_folds(rows, "article")
    assert len(folds) == 5
    assert_disjoint(rows, folds, key=lambda r: r.doc_id)
    assert {f.name for f in folds} == {r.doc_id for r in rows if r.origin == "seed"}


def test_outlet_groups_are_balanced_and_deterministic():
    rows = corpus()
    groups = held_out_groups(rows, "source", outlet_groups=3)
    assert groups == held_out_groups(list(rows), "source", outlet_groups=3)
    sizes = Counter(g for g in groups if g and g.startswith("outlets"))
    assert max(sizes.values()) - min(sizes.values()) <= 1


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="unknown fold scheme 'page'"):
        grouped_folds(corpus(), "page")


def test_desks_of_one_brand_are_held_out_together():
    assert outlet_brand("Fox Online News") == outlet_brand("Fox News") == "Fox"
    assert outlet_brand("CNN (Web News)") == outlet_brand("CNN - Editorial") == "CNN"
    assert outlet_brand("Newsmax - News") == "Newsmax" and outlet_brand("The Guardian") == "The Guardian"
    rows = [
        rec(f"f{i}", source="abp", outlet=o)
        for i, o in enumerate(["Fox News", "Fox Online News", "BBC News"] * 2)
    ]
    groups = held_out_groups(rows, "source", outlet_groups=2)
    assert len({g for g, r in zip(groups, rows) if r.outlet.startswith("Fox")}) == 1
