from podcast_assets.transcripts.messages import parse_episode_message


def test_parse_episode_message():
    assert parse_episode_message(b'{"episode_id": 42, "x": 1}')[0]["episode_id"] == "42"
    assert "not JSON" in parse_episode_message(b"{oops")[1]
    assert "not a JSON object" in parse_episode_message(b"[1]")[1]
    assert "episode_id" in parse_episode_message(b'{"episode_id": "../etc"}')[1]
    assert parse_episode_message(None)[0] is None
