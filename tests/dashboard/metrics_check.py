#!/usr/bin/python3
"""Reads a running server's /metrics with the Prometheus project's own text-format parser
(python3-prometheus-client), checks what supportpipe promises there, and prints the samples
as JSON lines ({"name", "labels", "value"}) for the dashboard test to compare with the page.

  metrics_check.py http://127.0.0.1:8080      exit 1 naming what is wrong
"""
import json
import math
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

# Families every serve process exposes, with their types (docs/observability.md).
REQUIRED = {
    "supportpipe_raw_records": "counter",
    "supportpipe_http_requests": "counter",
    "supportpipe_stage_latency_seconds": "histogram",
    "supportpipe_group_commit_records": "histogram",
    "supportpipe_group_commit_seconds": "histogram",
    "supportpipe_consumer_lag_records": "gauge",
    "supportpipe_consumer_lag_seconds": "gauge",
    "supportpipe_warehouse_freshness_seconds": "gauge",
    "supportpipe_dead_letters_open": "gauge",
    "supportpipe_sla_clocks": "gauge",
    "supportpipe_alerts_firing": "gauge",
    "supportpipe_tickets": "gauge",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_cpu_seconds": "counter",
}
STAGES = {"logged", "processed", "loaded"}


def main():
    url = sys.argv[1].rstrip("/") + "/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        content_type = r.headers.get("Content-Type", "")
        text = r.read().decode("utf-8")
    problems = []
    if not content_type.startswith("text/plain"):
        problems.append(f"content type {content_type!r}")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name, kind in REQUIRED.items():
        if name not in families:
            problems.append(f"missing family {name}")
        elif families[name].type != kind:
            problems.append(f"{name} is a {families[name].type}, not a {kind}")
    samples = []
    for f in families.values():
        for s in f.samples:
            if not math.isfinite(s.value) and not math.isnan(s.value) and s.labels.get("le") != "+Inf":
                problems.append(f"{s.name}{s.labels} = {s.value}")
            samples.append({"name": s.name, "labels": s.labels,
                            "value": None if math.isnan(s.value) else s.value})
    # Histograms: cumulative buckets that never decrease, and +Inf equal to _count.
    hist = families.get("supportpipe_stage_latency_seconds")
    if hist:
        seen = set()
        series = {}
        for s in hist.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault(key, {})[s.name.rsplit("_", 1)[-1] + s.labels.get("le", "")] = s.value
            seen.add(dict(key).get("stage"))
        for key, v in series.items():
            buckets = sorted((float(k[6:]), c) for k, c in v.items() if k.startswith("bucket"))
            counts = [c for _, c in buckets]
            if counts != sorted(counts):
                problems.append(f"buckets of {key} decrease")
            if buckets and buckets[-1][1] != v.get("count"):
                problems.append(f"+Inf bucket of {key} differs from its count")
        if not STAGES <= seen:
            problems.append(f"stage latency for {sorted(STAGES - seen)} missing")
    if families.get("process_open_fds") and families["process_open_fds"].samples[0].value <= 0:
        problems.append("process_open_fds is not positive")
    if problems:
        print("metrics_check: " + "; ".join(problems), file=sys.stderr)
        return 1
    for s in samples:
        print(json.dumps(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
