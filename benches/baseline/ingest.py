#!/usr/bin/env python3
"""Python baseline for Bulletin's ingest benchmarks: fetch, parse, store into SQLite.

    python3 benches/baseline/ingest.py calendars --urls URLS_FILE --db DB_FILE [--threads 16]
    python3 benches/baseline/ingest.py feeds --urls URLS_FILE --db DB_FILE [--threads 16] [--etags]

URLS_FILE holds one http URL per line (blank lines and lines starting with # are skipped).
A thread pool fetches every URL with urllib.request and parses the body; the main thread
writes each document's rows in one transaction (journal_mode=WAL, synchronous=NORMAL, as
Bulletin's own store does).

calendars: icalendar's Calendar.from_ical; series with RRULE/RDATE are expanded by
    recurring_ical_events (its overrides applied) from now-30 days to now+365 days, any
    other VEVENT is one occurrence. Rows go to `events`, INSERT OR REPLACE on
    UNIQUE(source_url, uid, start), `start` being the recurrence start.
feeds: feedparser.parse(bytes); one row per entry in `posts`, INSERT OR REPLACE on
    UNIQUE(feed_url, id). With --etags the validators (ETag, Last-Modified) are kept in the
    `validators` table and sent back as If-None-Match / If-Modified-Since; a 304 writes
    nothing, so running the script twice on the same db measures the unchanged pass.

Prints one line to stdout: `baseline <mode>: <N> documents, <M> items, <S> s`, where N is
the URLs answered (200 or 304), M the rows written and S the wall time. Exits 1 if any
URL failed (listed on stderr), 3 if a library is missing. Depends on the packages pinned
in requirements.txt beside this file, and the standard library.
"""

import argparse
import concurrent.futures
import datetime as dt
import os
import sqlite3
import sys
import time
import urllib.error
import urllib.request

# feedparser's ISO 8601 reader goes through time.mktime(): read dates as UTC.
os.environ["TZ"] = "UTC"
time.tzset()

try:
    import feedparser
    import icalendar
    import recurring_ical_events
except ImportError as e:
    print(f"baseline skipped: {e.name} not installed "
          "(pip install -r benches/baseline/requirements.txt)")
    sys.exit(3)

UTC = dt.timezone.utc
TIMEOUT = 30  # seconds per request
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    source_url TEXT NOT NULL, uid TEXT NOT NULL, start TEXT NOT NULL,
    summary TEXT, description TEXT, location TEXT, start_utc TEXT NOT NULL, end_utc TEXT,
    UNIQUE (source_url, uid, start));
CREATE TABLE IF NOT EXISTS posts (
    feed_url TEXT NOT NULL, id TEXT NOT NULL, title TEXT, link TEXT, published TEXT,
    summary TEXT, UNIQUE (feed_url, id));
CREATE TABLE IF NOT EXISTS validators (url TEXT PRIMARY KEY, etag TEXT, last_modified TEXT);
"""


def fetch(url, validators):
    """(status, body, headers) for url; status 304 has an empty body."""
    request = urllib.request.Request(url, headers={"User-Agent": "bulletin-baseline/1"})
    etag, last_modified = validators.get(url, (None, None))
    if etag:
        request.add_header("If-None-Match", etag)
    if last_modified:
        request.add_header("If-Modified-Since", last_modified)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as e:
        if e.code == 304:
            return 304, b"", e.headers
        raise


def utc_text(value):
    """ISO 8601 text in UTC; a DATE is midnight UTC, a floating time is read as UTC."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def event_row(url, event):
    start, end = event.start, event.end
    recurrence = event.get("RECURRENCE-ID")
    text = lambda name: str(event[name]) if name in event else None  # noqa: E731
    return (url, str(event.get("UID", "")), utc_text(recurrence.dt if recurrence else start),
            text("SUMMARY"), text("DESCRIPTION"), text("LOCATION"),
            utc_text(start), utc_text(end))


def parse_calendar(url, body):
    calendar = icalendar.Calendar.from_ical(body)
    vevents = calendar.walk("VEVENT")
    series = {str(e.get("UID", "")) for e in vevents if "RRULE" in e or "RDATE" in e}
    rows = []
    for event in vevents:
        # Single events; the series and their overrides (RECURRENCE-ID) are expanded below.
        if str(event.get("UID", "")) not in series and "DTSTART" in event:
            rows.append(event_row(url, event))
    if series:
        now = dt.datetime.now(UTC)
        query = recurring_ical_events.of(calendar, skip_bad_series=True)
        for event in query.between(now - dt.timedelta(days=30), now + dt.timedelta(days=365)):
            if str(event.get("UID", "")) in series:
                rows.append(event_row(url, event))
    return rows


def struct_utc_text(parsed):
    return dt.datetime(*parsed[:6], tzinfo=UTC).isoformat() if parsed else None


def parse_feed(url, body):
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.version and not parsed.entries:
        raise ValueError(f"not a feed: {parsed.get('bozo_exception')}")
    rows = []
    for entry in parsed.entries:
        key = entry.get("id") or entry.get("link")
        if not key:
            continue
        published = entry.get("published_parsed") or entry.get("updated_parsed")
        rows.append((url, key, entry.get("title"), entry.get("link"),
                     struct_utc_text(published), entry.get("summary")))
    return rows


def work(url, mode, validators):
    """Fetch and parse one URL (in a pool thread): (status, rows, etag, last_modified)."""
    status, body, headers = fetch(url, validators)
    if status == 304:
        return status, [], None, None
    rows = parse_calendar(url, body) if mode == "calendars" else parse_feed(url, body)
    return status, rows, headers.get("ETag"), headers.get("Last-Modified")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", choices=["calendars", "feeds"])
    parser.add_argument("--urls", required=True, help="file with one URL per line")
    parser.add_argument("--db", required=True, help="SQLite database (created if missing)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--etags", action="store_true",
                        help="feeds: keep and send ETag / Last-Modified validators")
    args = parser.parse_args()
    started = time.perf_counter()

    with open(args.urls, encoding="utf-8") as f:
        urls = [u.strip() for u in f if u.strip() and not u.lstrip().startswith("#")]
    db = sqlite3.connect(args.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(SCHEMA)
    use_validators = args.etags and args.mode == "feeds"
    validators = {}
    if use_validators:
        validators = {url: (etag, lm) for url, etag, lm
                      in db.execute("SELECT url, etag, last_modified FROM validators")}
    insert = ("INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
              if args.mode == "calendars" else
              "INSERT OR REPLACE INTO posts VALUES (?, ?, ?, ?, ?, ?)")

    documents = items = 0
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.threads) as pool:
        futures = {pool.submit(work, url, args.mode, validators): url for url in urls}
        for future in concurrent.futures.as_completed(futures):
            url = futures[future]
            try:
                status, rows, etag, last_modified = future.result()
            except Exception as e:  # noqa: BLE001 - any failure is reported, not fatal
                failures.append((url, f"{type(e).__name__}: {str(e)[:200]}"))
                continue
            documents += 1
            if status == 304:
                continue
            with db:  # one transaction per document
                db.executemany(insert, rows)
                if use_validators:
                    db.execute("INSERT OR REPLACE INTO validators VALUES (?, ?, ?)",
                               (url, etag, last_modified))
            items += len(rows)
    db.close()

    elapsed = time.perf_counter() - started
    print(f"baseline {args.mode}: {documents} documents, {items} items, {elapsed:.3f} s")
    for url, error in failures:
        print(f"baseline: failed {url}: {error}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
