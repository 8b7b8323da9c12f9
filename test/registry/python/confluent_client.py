"""Drives a Confluent-compatible schema registry with confluent-kafka's own client, as a third
party would: SchemaRegistryClient calls, AvroSerializer (auto-register) and AvroDeserializer.

Reads one JSON object on stdin:
  url, subject, schema_v1, schema_v2, schema_incompatible, topic, record, pma_bytes_hex,
  raw_messages ([{topic, hex}]: pma-encoded raw records to decode)
Writes one JSON object on stdout with what the client saw.
"""
import json
import sys

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext


def main() -> None:
    args = json.load(sys.stdin)
    client = SchemaRegistryClient({"url": args["url"]})
    subject = args["subject"]
    out = {}

    out["registered_id"] = client.register_schema(subject, Schema(args["schema_v1"], "AVRO"))
    out["registered_again_id"] = client.register_schema(subject, Schema(args["schema_v1"], "AVRO"))
    latest = client.get_latest_version(subject)
    out["latest"] = {"version": latest.version, "schema_id": latest.schema_id, "schema": latest.schema.schema_str}
    looked_up = client.lookup_schema(subject, Schema(args["schema_v1"], "AVRO"))
    out["lookup"] = {"version": looked_up.version, "schema_id": looked_up.schema_id}
    out["subjects"] = client.get_subjects()
    out["versions"] = client.get_versions(subject)
    out["by_id"] = client.get_schema(out["registered_id"]).schema_str

    out["compatible_v2"] = client.test_compatibility(subject, Schema(args["schema_v2"], "AVRO"))
    out["compatible_bad"] = client.test_compatibility(subject, Schema(args["schema_incompatible"], "AVRO"))
    try:
        client.register_schema(subject, Schema(args["schema_incompatible"], "AVRO"))
        out["incompatible_error"] = None
    except SchemaRegistryError as err:
        out["incompatible_error"] = {
            "http_status": err.http_status_code,
            "error_code": err.error_code,
            "message": err.error_message,
        }

    try:
        client.get_compatibility(subject)
        out["subject_config_before"] = "present"
    except SchemaRegistryError as err:
        out["subject_config_before"] = {"http_status": err.http_status_code, "error_code": err.error_code}
    out["set_compatibility"] = client.set_compatibility(subject_name=subject, level="FULL")
    out["get_compatibility"] = client.get_compatibility(subject)
    out["global_compatibility"] = client.get_compatibility()

    topic = args["topic"]
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = AvroSerializer(client, args["schema_v1"], conf={"auto.register.schemas": True})
    out["python_bytes_hex"] = serializer(args["record"], ctx).hex()
    deserializer = AvroDeserializer(client)
    out["decoded_pma"] = deserializer(bytes.fromhex(args["pma_bytes_hex"]), ctx)
    out["decoded_own"] = deserializer(bytes.fromhex(out["python_bytes_hex"]), ctx)
    out["decoded_raw"] = [
        deserializer(bytes.fromhex(m["hex"]), SerializationContext(m["topic"], MessageField.VALUE)) for m in args["raw_messages"]
    ]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
