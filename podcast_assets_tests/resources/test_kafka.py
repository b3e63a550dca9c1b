"""The Kafka resource against the real local broker: batched produce, true end offsets, topic ids."""

import uuid

from confluent_kafka import TopicPartition

from podcast_assets_tests.helpers import kafka_for


def test_batched_produce_is_read_back_whole_and_the_true_end_is_found(settings):
    kafka = kafka_for(settings)
    assert kafka.batching  # producers batch by default, as real producers do
    topic = f"batched-{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics([topic], 2)
    kafka.publish(topic, [(f"k{i % 5}", {"i": i}) for i in range(3000)])
    with kafka.reader() as reader:
        ends = reader.end_offsets(topic)
        reported = {p: reader.consumer.get_watermark_offsets(TopicPartition(topic, p))[1] for p in reader.partitions(topic)}
        assert sum(ends.values()) == 3000  # the broker itself may report less (the last batch's base + 1)
        assert all(ends[p] >= off for p, off in reported.items())
        records = reader.read_range(topic, {p: (0, e) for p, e in ends.items()})
        assert len(records) == 3000 and len({(r.partition, r.offset) for r in records}) == 3000
        assert reader.topic_id(topic)
    assert kafka.end_offsets(topic) == ends


def test_an_empty_topic_ends_at_zero(settings):
    kafka = kafka_for(settings)
    topic = f"empty-{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics([topic], 3)
    assert kafka.end_offsets(topic) == {0: 0, 1: 0, 2: 0}


def test_a_message_over_the_limit_fails_alone_and_the_others_are_stored(settings):
    import pytest

    from podcast_assets.resources.kafka import KafkaUnavailable

    kafka = kafka_for(settings.replace(KAFKA_MAX_MESSAGE_BYTES=20_000))
    topic = f"limited-{uuid.uuid4().hex[:8]}"
    kafka.ensure_topics([topic], 1)
    refused = kafka.publish_each(topic, [("a", {"text": "small"}), ("big", {"text": "x" * 50_000}), ("b", "also small")])
    assert list(refused) == ["big"] and "Message size too large" in refused["big"] and "\n" not in refused["big"]
    assert sorted(r.key.decode() for r in kafka.read_range(topic, {0: (0, kafka.end_offsets(topic)[0])})) == ["a", "b"]
    with pytest.raises(KafkaUnavailable, match="1 of 1 messages to .* refused: big"):
        kafka.publish(topic, [("big", "x" * 50_000)])  # where every message must land, it is the run's failure
