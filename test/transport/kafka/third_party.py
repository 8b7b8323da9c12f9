"""A Kafka client this project did not write: Python's confluent-kafka (librdkafka inside its
wheel) with its SchemaRegistryClient, AvroSerializer and AvroDeserializer.

    third_party.py consume BROKERS REGISTRY TOPIC COUNT GROUP
        reads COUNT records from the beginning, decodes them through the registry, and prints one
        JSON line per record: {"partition", "offset", "key", "value"} (timestamps as epoch ms).
    third_party.py produce BROKERS REGISTRY TOPIC SCHEMA_FILE
        reads JSON lines {"key", "value"} from stdin, produces them Avro-encoded with the schema
        registered under TOPIC-value (acks=all, idempotent, Java's murmur2 partitioner), and prints
        one JSON line per delivered record: {"key", "partition", "offset"}.
"""
import datetime
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def plain(value):
    if isinstance(value, datetime.datetime):
        return (value - EPOCH) // datetime.timedelta(milliseconds=1)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot print {type(value).__name__}")


def consume(brokers, registry, topic, count, group):
    deserializer = AvroDeserializer(SchemaRegistryClient({"url": registry}))
    consumer = Consumer(
        {
            "bootstrap.servers": brokers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    got = 0
    deadline = time.monotonic() + 90
    try:
        while got < count:
            if time.monotonic() > deadline:
                sys.exit(f"read {got} of {count} records from {topic} in 90 s")
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                sys.exit(f"consume error: {msg.error()}")
            value = deserializer(msg.value(), SerializationContext(topic, MessageField.VALUE))
            key = msg.key().decode("utf-8") if msg.key() is not None else None
            print(json.dumps({"partition": msg.partition(), "offset": msg.offset(), "key": key, "value": value}, default=plain), flush=True)
            got += 1
    finally:
        consumer.close()


def produce(brokers, registry, topic, schema_file):
    with open(schema_file, encoding="utf-8") as f:
        schema = f.read()
    serializer = AvroSerializer(SchemaRegistryClient({"url": registry}), schema, conf={"auto.register.schemas": True})
    producer = Producer(
        {
            "bootstrap.servers": brokers,
            "acks": "all",
            "enable.idempotence": True,
            # librdkafka's default is consistent_random (CRC32); murmur2_random is Java's choice.
            "partitioner": "murmur2_random",
        }
    )
    failures = []

    def delivered(err, msg):
        if err is not None:
            failures.append(str(err))
            return
        print(json.dumps({"key": msg.key().decode("utf-8"), "partition": msg.partition(), "offset": msg.offset()}), flush=True)

    for line in sys.stdin:
        if not line.strip():
            continue
        item = json.loads(line)
        value = serializer(item["value"], SerializationContext(topic, MessageField.VALUE))
        producer.produce(topic, key=item["key"].encode("utf-8"), value=value, on_delivery=delivered)
        producer.poll(0)
    if producer.flush(60) != 0:
        sys.exit("records left undelivered after 60 s")
    if failures:
        sys.exit(f"delivery failed: {failures[0]}")


if __name__ == "__main__":
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "consume" and len(sys.argv) == 7:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6])
    elif mode == "produce" and len(sys.argv) == 6:
        produce(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        sys.exit(__doc__)
