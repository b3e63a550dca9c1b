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
