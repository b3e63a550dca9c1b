import numpy as np

from podcast_assets.search.fusion import rrf
from podcast_assets.search.hybrid import moments, ranked, recall_at
from podcast_assets.search.keywords import TOKENS, KeywordIndex, matched_words, words

TEXTS = ["Galileo saw the moons of Jupiter four hundred years ago.",
         "The station circles the planet every ninety minutes, sixteen sunrises a day.",
         "Knead the dough for 10 minutes and bake the bread.",
         "",
         "Kepler and Galileo argued about the planets."]


def test_words_are_stemmed_lower_case_without_stop_words_and_number_words_read_as_digits():
    assert words("The station circles the planet every NINETY minutes") == ["station", "circl", "planet", "everi",
                                                                            "90", "minut"]
    assert words("game 7, game seven") == ["game", "7", "game", "7"]
    assert words("twenty-nine years, twenty nine, twenty") == ["29", "year", "29", "20"]
    assert words("Roasting, roasted, roast") == ["roast"] * 3
    assert words("how do I get what you said") == ["get", "said"]  # NLTK's stop words, as bm25s ships them
    # a hit shows the query's own words that it holds, as the query has them
    assert matched_words("sixteen sunrises on the station", TEXTS[1]) == ["sixteen", "sunrises", "station"]
    assert matched_words("how do I roast potatoes", "Roasting the potato wedges") == ["roast", "potatoes"]


def test_bm25_ranks_the_rare_name_first_and_ignores_passages_without_a_query_word():
    index = KeywordIndex.build(TEXTS)
    rows, scores = index.top("Galileo Jupiter", 10)
    assert rows.tolist() == [0, 4] and scores[0] > scores[1] > 0
    assert index.top("90 minutes", 10)[0].tolist()[0] == 1  # "ninety" in the passage, "90" in the query
    assert index.top("nothing here matches", 10)[0].size == 0 and index.top("the", 10)[0].size == 0


def test_the_index_saved_and_loaded_answers_the_same(tmp_path):
    index = KeywordIndex.build(TEXTS)
    index.save(tmp_path / "kw", {"passages_version": 3})
    again, meta = KeywordIndex.load(tmp_path / "kw")
    assert meta == {"passages_version": 3, "rows": 5, "tokens": TOKENS}
    assert again.top("bread dough", 3)[0].tolist() == index.top("bread dough", 3)[0].tolist() == [2]


def test_reciprocal_rank_fusion_puts_agreement_first_and_keeps_either_lists_top():
    rows, scores = rrf([np.array([7, 3, 5]), np.array([3, 9])], 10)
    assert rows.tolist() == [3, 7, 9, 5] and np.all(np.diff(scores) <= 0)
    assert rrf([np.array([], np.int64), np.array([4])], 3)[0].tolist() == [4]


def test_hybrid_finds_the_name_the_vectors_miss_and_the_paraphrase_the_keywords_miss():
    # vectors that know only "topics": passage 0 and 4 (both astronomy history) look alike to them
    matrix = np.eye(5, dtype=np.float32)
    matrix[4] = np.array([0.95, 0, 0, 0, 0.31], np.float32) / np.linalg.norm([0.95, 0.31])
    passages = [{"episode_id": f"e{i}", "start": 0.0, "end": 30.0, "text": t} for i, t in enumerate(TEXTS)]
    kw = KeywordIndex.build(TEXTS)
    name = "Kepler"
    by_vector = moments("vector", name, matrix[0], matrix, kw, passages, 1)
    assert by_vector[0]["episode_id"] == "e0"  # the vector's nearest is the other astronomer
    assert moments("hybrid", name, matrix[0], matrix, kw, passages, 1)[0]["episode_id"] == "e4"
    assert moments("hybrid", name, matrix[0], matrix, kw, passages, 1)[0]["matched"] == ["kepler"]
    paraphrase = "how long an orbit takes"  # no word of passage 1 in it
    assert moments("keyword", paraphrase, matrix[1], matrix, kw, passages, 3) == []
    assert moments("hybrid", paraphrase, matrix[1], matrix, kw, passages, 1)[0]["episode_id"] == "e1"
    assert ranked("vector", name, matrix[0], matrix, None, 2)[0].tolist()[0] in (0, 4)


def test_recall_at_counts_the_episode_and_the_moment():
    hits = [{"episode_id": "a", "start": 60.0, "end": 100.0}]
    assert recall_at(hits, "a", None) and recall_at(hits, "a", 103.0) and not recall_at(hits, "a", 10.0)
    assert not recall_at(hits, "b", None)


def test_a_saved_index_maps_its_rows_onto_the_table_the_search_read(tmp_path):
    import pyarrow as pa

    from podcast_assets.search.keyword_store import current, load_current, save_version

    keys = pa.table({"episode_id": ["a", "a", "b", "c", "c"], "passage": [0, 1, 0, 0, 1]})
    root = tmp_path / "keywords"
    for version in (1, 2, 3):
        save_version(root, KeywordIndex.build(TEXTS), keys, version, "m")
    assert current(root)["passages_version"] == 3 and sorted(p.name for p in root.glob("v*")) == ["v00000002",
                                                                                                 "v00000003"]
    assert load_current(root, 2, "m", keys) is None and load_current(root, 3, "other", keys) is None
    # the search read the table in another order, and without episode b
    read = pa.table({"episode_id": ["c", "a", "c", "a"], "passage": [1, 1, 0, 0]})
    index = load_current(root, 3, "m", read)
    # text 4 (the shorter, so first) is (c, 1): row 0; text 0 is (a, 0): row 3
    assert index.top("Galileo", 5)[0].tolist() == [0, 3]
    assert index.top("bread", 5)[0].tolist() == []  # (b, 0) was not read
    # an index saved by another tokenisation (an older release's) is not read: its words are not the query's
    meta = root / current(root)["folder"] / "meta.json"
    meta.write_text(meta.read_text().replace(TOKENS, "older"))
    assert load_current(root, 3, "m", read) is None
