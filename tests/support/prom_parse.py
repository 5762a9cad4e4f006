"""Parses Prometheus exposition with the reference parser (the prometheus_client package) and
prints what it found as JSON, for the Rust tests to check.

usage: prom_parse.py text|openmetrics FILE|URL
  text         the text format 0.0.4 (prometheus_client.parser)
  openmetrics  OpenMetrics text (prometheus_client.openmetrics.parser), which is strict:
               it refuses a missing `# EOF`, bad escapes, counters without `_total`...
A URL is fetched over HTTP with the Accept header Prometheus sends for that format; the
response's Content-Type is printed too. Exits non-zero (with the parser's error) on bad input.
"""

import json
import sys
import urllib.request

from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families as parse_text


def read(source, kind):
    if not source.startswith("http://"):
        with open(source) as f:
            return f.read(), None
    accept = {
        "openmetrics": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5",
        "text": "text/plain;version=0.0.4",
    }[kind]
    req = urllib.request.Request(source, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.read().decode("utf-8"), resp.headers.get("Content-Type")


def main():
    kind, source = sys.argv[1], sys.argv[2]
    text, content_type = read(source, kind)
    parse = parse_om if kind == "openmetrics" else parse_text
    families = {}
    for fam in parse(text):
        families[fam.name] = {
            "type": fam.type,
            "unit": getattr(fam, "unit", ""),
            "samples": [[s.name, s.labels, s.value] for s in fam.samples],
        }
    print(json.dumps({"content_type": content_type, "families": families}))


if __name__ == "__main__":
    main()
