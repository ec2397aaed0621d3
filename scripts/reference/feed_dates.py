#!/usr/bin/env python3
"""Feed date strings as feedparser reads them: writes fixtures/reference/feeds/dates.json,
which tests/reference_feeds.rs compares Bulletin's date reader with.

Run from the repository root with the pinned readers (scripts/reference/requirements.txt):
    TZ=UTC /work/refenv/bin/python scripts/reference/feed_dates.py [--check]
The strings are the forms real feeds use and the edge cases feedparser's readers have;
each expected value is feedparser's own reading (UTC), or null when it reads none."""

import json
import os
import sys
import time

os.environ["TZ"] = "UTC"
time.tzset()

import feedparser  # noqa: E402
from feedparser.datetimes import _parse_date  # noqa: E402

STRINGS = [
    # W3C-DTF / RFC 3339
    "2026-03-12T12:00:00-04:00", "2026-03-12T16:00:00Z", "2026-03-12T16:00:00.123456Z",
    "2026-03-12T16:00Z", "2026-03-12T16:00:00+0530", "2026-03-12T16:00:00+05:30",
    "2026-03-12", "2026-03", "2026", "2026-03-12 16:00:00", "2026-03-12 16:00:00 +0100",
    "2026-03-12T16:00:00", "2026-03-12t16:00:00z", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z",
    # RFC 822
    "Thu, 12 Mar 2026 16:00:00 GMT", "Thu, 12 Mar 2026 16:00:00 +0000", "Thu, 12 Mar 2026 12:00:00 EDT",
    "Thu, 12 Mar 2026 12:00:00 -0400", "12 Mar 2026 16:00:00 GMT", "Thu, 12 Mar 26 16:00:00 GMT",
    "Thu, 12 Mar 95 16:00:00 GMT", "Thu, 12 Mar 2026 16:00 GMT", "Thu, 12 Mar 2026", "12 Mar 2026",
    "Thu, 12 Mar 2026 16:00:00", "Wed, 12 Mar 2026 16:00:00 GMT", "Thu, 12 Mar 2026 16:00:00 BST",
    "Thu, 12 Mar 2026 16:00:00 CET", "Thu, 12 Mar 2026 16:00:00 PST", "Thu, 12 Mar 2026 16:00:00 Z",
    "Thu, 12 Mar 2026 16:00:00 UT", "Thu, 12 Mar 2026 16:00:00 A", "Thu, 12 Mar 2026 16:00:00 MEST",
    "Thu, 12 Mar 2026 16:00:00 GMT+01:00", "Thu, 12 Mar 2026 16:00:00 Etc/GMT",
    "Thursday, 12 March 2026 16:00:00 GMT", "Thu, Mar 12 2026 16:00:00 GMT", "Mar 12 2026 16:00:00 GMT",
    "Thu, 32 Mar 2026 16:00:00 GMT", "Jeudi, 12 mars 2026 16:00:00 GMT", "Thu,12 Mar 2026 16:00:00 GMT",
    "Thu, 12 Mar 2026 16:00:00 +05:30", "Thu, 12 Mar 2026 24:00:00 GMT",
    # ISO 8601 forms
    "20260312", "20260312T160000Z", "2026071", "2026-071", "260312",
    "2026-03-12T16:00:00.5-05:00",
    # asctime, Perforce
    "Thu Mar 12 16:00:00 2026", "Thu Mar 12 16:00:00 +0100 2026", "Fri, 2006/09/15 08:19:53 EDT",
    # nonsense
    "", "soon", "TBA", "2026-03-12T25:00:00Z", "yesterday",
]


def reading(text):
    parsed = _parse_date(text)
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def main():
    out = {
        "reader": f"feedparser {feedparser.__version__}",
        "dates": [{"text": s, "utc": reading(s)} for s in STRINGS],
    }
    text = json.dumps(out, indent=2, ensure_ascii=False) + "\n"
    path = os.path.join("fixtures", "reference", "feeds", "dates.json")
    if "--check" in sys.argv:
        with open(path, encoding="utf-8") as f:
            sys.exit(0 if f.read() == text else 1)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
