"""The search service on a real Whoosh index: tiers, hot reload of new generations, odd input."""

from pathlib import Path

import pytest

from search_index.builder import build_index
from search_index.catalog import Entry, load_catalog
from search_index.service import SearchService, SearchUnavailable
from search_index.store import current_generation


def entry(id_, title, aliases=(), popularity=10.0, type_="function"):
    return Entry(
        id=id_,
        type=type_,
        title=title,
        channel="首页",
        deeplink=f"app://{id_}",
        popularity=popularity,
        aliases=tuple(aliases),
    )


@pytest.fixture(scope="module")
def catalog_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("index")
    build_index(load_catalog(), root)
    return SearchService(root)


def test_a_new_generation_is_picked_up_without_restart(tmp_path):
    service = SearchService(tmp_path, reload_check_s=0)
    with pytest.raises(SearchUnavailable):
        service.search("转账")
    first = build_index([entry("a", "转账汇款", ["转账"])], tmp_path)
    assert [h.id for h in service.search("zz")] == ["a"]
    second = build_index([entry("b", "转账记录")], tmp_path)
    assert [h.id for h in service.search("zz")] == ["b"]
    assert current_generation(tmp_path) == second and second != first
    assert service.health()["generation"] == second.name


def test_old_generations_are_pruned(tmp_path):
    for i in range(4):
        build_index([entry(f"e{i}", "理财")], tmp_path)
    assert len(list(Path(tmp_path).glob("gen-*"))) == 2


def test_match_kinds_rank_title_over_alias_over_prefix_over_pinyin_over_fuzzy(tmp_path):
    build_index(
        [entry("t", "理财"), entry("a", "财富", ["理财"]), entry("p", "理财超市"), entry("f", "里程", popularity=100)],
        tmp_path,
    )
    service = SearchService(tmp_path)
    assert [(h.id, h.match) for h in service.search("理财")][:3] == [("t", "title"), ("a", "alias"), ("p", "prefix")]
    assert service.search("licai")[0].match == "pinyin"
    assert service.search("里财")[0].match == "homophone"


@pytest.mark.parametrize("q", ["", "   ", "\x00\x01", "AND OR ( * ~", "🙂🙂", "a" * 500])
def test_odd_queries_never_raise(catalog_index, q):
    assert isinstance(catalog_index.search(q), list)


def test_single_character_queries_find_things(catalog_index):
    assert catalog_index.search("转")[0].id == "fn.transfer"
    assert catalog_index.search("j")


def test_personal_preference_reorders_within_a_kind(catalog_index):
    plain = [h.id for h in catalog_index.search("j")]
    assert plain[0] != "prod.fund"
    assert catalog_index.search("j", personal_boost={"prod.fund": 1.0})[0].id == "prod.fund"
