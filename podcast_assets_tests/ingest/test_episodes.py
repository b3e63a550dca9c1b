from podcast_assets.ingest.episodes import choose_episodes, select_episodes, split_by_language


def choose_episode(items):
    chosen, reason = choose_episodes(items, 1)
    return (chosen[0] if chosen else None), reason


def item(i, etype="full", enc="audio/mpeg", published=0, feed=1, url="http://x/a.mp3"):
    return {"id": i, "episodeType": etype, "enclosureType": enc, "datePublished": published, "feedId": feed,
            "enclosureUrl": url, "title": f"e{i}"}


def test_newest_full_audio_episode_wins_over_newer_trailer_and_older_full():
    chosen, reason = choose_episode([item(1, published=10), item(2, "trailer", published=30), item(3, published=20)])
    assert chosen["id"] == 3 and reason == ""


def test_missing_episode_type_counts_as_full():
    assert choose_episode([{**item(1), "episodeType": None}])[0]["id"] == 1


def test_reasons_for_shows_without_a_usable_episode():
    assert choose_episode([item(1, "trailer")]) == (None, "trailer only")
    assert "video/mp4" in choose_episode([item(1, enc="video/mp4")])[1]
    assert choose_episode([]) == (None, "no episodes")


def test_language_by_prefix_and_limit():
    feeds = [{"id": 1, "language": "en-us"}, {"id": 2, "language": "es"}, {"id": 3, "language": "EN"},
             {"id": 4, "language": "en-gb"}]
    kept, skipped = split_by_language(feeds, "en", 2)
    assert [f["id"] for f in kept] == [1, 3]
    assert [s["feed_id"] for s in skipped] == [2]


def test_select_keeps_notes_fields():
    chosen, skipped = select_episodes([{"id": 1, "title": "Show"}, {"id": 2, "title": "Empty"}],
                                      [item(7, feed=1, published=5)])
    assert chosen[0]["episode_id"] == "7" and chosen[0]["podcast_title"] == "Show"
    assert {"podcast_title", "episode_title", "audio_url", "description", "episode_id"} <= set(chosen[0])
    assert skipped == [{"feed_id": 2, "title": "Empty", "reason": "no episodes"}]


def test_several_episodes_per_show_newest_first():
    chosen, _ = choose_episodes([item(1, published=10), item(2, "trailer", published=30), item(3, published=20),
                                 item(4, published=5)], per_show=2)
    assert [c["id"] for c in chosen] == [3, 1]
