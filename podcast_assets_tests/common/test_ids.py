import pytest

from podcast_assets.common.ids import is_episode_id, sql_list


def test_episode_ids_are_letters_digits_dash_underscore():
    assert is_episode_id("41000001") and is_episode_id("ep_2-b")
    for bad in ("", "../../etc", "a b", "1' OR '1'='1", "x" * 65, "é", None):
        assert not is_episode_id(bad)


def test_predicates_are_built_from_checked_ids_only():
    assert sql_list(["1", "a-b"]) == "'1', 'a-b'"
    with pytest.raises(ValueError, match="not episode ids"):
        sql_list(["1", "2') OR true --"])
