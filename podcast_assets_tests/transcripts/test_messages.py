from podcast_assets.transcripts.messages import downloaded_groups, parse_episode_message, run_batches


def test_parse_episode_message():
    assert parse_episode_message(b'{"episode_id": 42, "x": 1}')[0]["episode_id"] == "42"
    assert "not JSON" in parse_episode_message(b"{oops")[1]
    assert "not a JSON object" in parse_episode_message(b"[1]")[1]
    assert "episode_id" in parse_episode_message(b'{"episode_id": "../etc"}')[1]
    assert parse_episode_message(None)[0] is None


def test_run_batches_share_new_episodes_over_the_transcription_runs():
    ids = [str(i) for i in range(40)]
    assert run_batches([], 2, 8) == []
    assert run_batches(ids[:1], 2, 8) == [["0"]]  # one new episode: a run of its own, at once
    assert [len(b) for b in run_batches(ids[:5], 2, 8)] == [3, 2]  # both runs busy
    assert [len(b) for b in run_batches(ids[:19], 2, 8)] == [7, 7, 5]  # at most 8, as even as it goes
    assert [len(b) for b in run_batches(ids, 2, 8)] == [8] * 5
    assert [len(b) for b in run_batches(ids[:3], 2, 1)] == [1, 1, 1]
    for runs, most in ((1, 8), (2, 8), (3, 4), (2, 1)):
        batches = run_batches(ids[:23], runs, most)
        assert [e for b in batches for e in b] == ids[:23] and max(map(len, batches)) <= most


def test_downloaded_episodes_are_transcribed_in_runs_of_neighbours():
    keys = ["a", "b", "c", "d", "e"]
    assert downloaded_groups(keys, set(keys)) == [keys]
    assert downloaded_groups(keys, {"a", "b", "d", "e"}) == [["a", "b"], ["d", "e"]]  # c failed: it splits the range
    assert downloaded_groups(keys, {"c"}) == [["c"]]
    assert downloaded_groups(keys, set()) == [] and downloaded_groups([], {"a"}) == []
