"""Parses a Prometheus text exposition from stdin with the Prometheus project's own Python client
(prometheus_client.parser) and prints its samples as JSON: one object per sample with the family's
type, so a spec checks what a real scraper reads, not what this project's exporter meant to write."""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        value = s.value
        samples.append({
            "family": family.name,
            "type": family.type,
            "name": s.name,
            "labels": dict(s.labels),
            "value": None if math.isnan(value) else ("+Inf" if value == math.inf else value),
        })
json.dump(samples, sys.stdout)
