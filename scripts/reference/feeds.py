#!/usr/bin/env python3
"""Regenerate the feed reference fixtures (fixtures/reference/feeds/) with feedparser.

    /work/refenv/bin/python scripts/reference/feeds.py            # rewrite every *.expected.json
    /work/refenv/bin/python scripts/reference/feeds.py --check    # exit 1 if anything would change
    /work/refenv/bin/python scripts/reference/feeds.py --import-corpus DIR
        # DIR is the tests/ folder of a feedparser sdist: (re)copies the corpus/ and
        # sanitize/ inputs and their manifest entries, keeps the written/ entries, then
        # regenerates everything.

Every expected file is computed by feedparser alone, from the input bytes and the
HTTP facts in manifest.json (see fixtures/reference/feeds/README.md for the rules).
Run from the repository root (or anywhere: paths are taken from this file's place).
"""

import argparse
import html.parser
import io
import json
import os
import re
import shutil
import sys
import time
from pathlib import Path

# feedparser's ISO 8601 handler round-trips through time.mktime()/time.localtime(): pin
# the process time zone so that results do not depend on the machine's.
os.environ["TZ"] = "UTC"
time.tzset()

import feedparser
import feedparser.encodings
import feedparser.urls

ROOT = Path(__file__).resolve().parents[2]
FEEDS = ROOT / "fixtures" / "reference" / "feeds"
MANIFEST = FEEDS / "manifest.json"
READER = "feedparser " + feedparser.__version__
EXPECTED_SUFFIX = ".expected.json"

# ---------------------------------------------------------------- environment


def check_environment():
    """The results depend on feedparser's optional helpers: pin them."""
    if feedparser.encodings.lazy_chardet_encoding is not None:
        sys.exit(
            "feeds.py: chardet/cchardet is importable in this environment; feedparser "
            "then guesses encodings with it and the fixtures (computed without it) would "
            "change. Use the venv from scripts/reference/requirements.txt."
        )


# ---------------------------------------------------------------- HTTP facts


def response_headers(http):
    """The response_headers given to feedparser.parse for one manifest entry.

    - all of content_type, content_language, url and headers absent or null:
      no headers at all (feedparser then behaves as for a local file);
    - content_type -> 'content-type', content_language -> 'content-language';
    - headers: further raw response headers (names lower-cased);
    - url: the address the feed was served at. feedparser takes its base URI from
      the request URL (href) and the Content-Location header; without a request we
      hand it the base as 'content-location', computed exactly as feedparser's api.py
      does: make_safe_absolute_uri(url, content_location) or
      make_safe_absolute_uri(content_location) or url.
    """
    h = {}
    for k, v in (http.get("headers") or {}).items():
        h[k.lower()] = v
    if http.get("content_type") is not None:
        h["content-type"] = http["content_type"]
    if http.get("content_language") is not None:
        h["content-language"] = http["content_language"]
    url = http.get("url")
    if url:
        cl = h.get("content-location", "")
        h["content-location"] = (
            feedparser.urls.make_safe_absolute_uri(url, cl)
            or feedparser.urls.make_safe_absolute_uri(cl)
            or url
        )
    return h


def parse(data, http):
    # A BytesIO, never raw bytes or str: feedparser would try a str as a URL or a path.
    return feedparser.parse(io.BytesIO(data), response_headers=response_headers(http))


# ---------------------------------------------------------------- text rendering

# Tags that separate words: rendered as one space. Every other tag renders as nothing.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 "
    "h4 h5 h6 header hr li main nav ol p pre section table tbody td tfoot th thead tr "
    "ul".split()
)
# Elements whose text is dropped with them.
DROP_TAGS = frozenset(["script", "style"])


class _TextExtractor(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.drop = 0

    def handle_starttag(self, tag, attrs):
        if tag in DROP_TAGS:
            self.drop += 1
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in DROP_TAGS:
            self.drop = max(0, self.drop - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data):
        if not self.drop:
            self.parts.append(data)


def collapse(s):
    """Runs of whitespace (Python str.split(): Unicode White_Space, so NBSP too) -> one
    space; trimmed."""
    return " ".join(s.split())


def html_to_text(s):
    p = _TextExtractor()
    p.feed(s)
    p.close()
    return collapse("".join(p.parts))


def detail_text(value, ctype):
    """feedparser's value as text: HTML types (text/html, application/xhtml+xml, any
    type containing 'html') lose their tags and entities; others are already text."""
    if value is None:
        return None
    if ctype and "html" in ctype:
        return html_to_text(value)
    return collapse(value)


# ---------------------------------------------------------------- payload check

PAYLOAD_PATTERNS = [
    ("script", re.compile(r"<\s*script\b", re.I)),
    ("event-handler", re.compile(r"<[^>]*\son\w+\s*=", re.I)),
    ("javascript:", re.compile(r"javascript\s*:", re.I)),
    ("vbscript:", re.compile(r"vbscript\s*:", re.I)),
    ("data-url", re.compile(r"\b(?:href|src)\s*=\s*[\"']?\s*data\s*:", re.I)),
    ("iframe", re.compile(r"<\s*iframe\b", re.I)),
    ("object", re.compile(r"<\s*object\b", re.I)),
    ("embed", re.compile(r"<\s*embed\b", re.I)),
    ("form", re.compile(r"<\s*form\b", re.I)),
    ("expression(", re.compile(r"expression\s*\(", re.I)),
    ("style-element", re.compile(r"<\s*style\b", re.I)),
    ("meta", re.compile(r"<\s*meta\b", re.I)),
    ("link-element", re.compile(r"<\s*link\b", re.I)),
    ("base", re.compile(r"<\s*base\b", re.I)),
]


def payloads_in(s):
    """Names of the hostile patterns found in one sanitized string."""
    return [name for name, rx in PAYLOAD_PATTERNS if rx.search(s)]


def sanitized_values(d):
    """Every text value feedparser ran through its sanitizer path, as (field, type, value):
    the *_detail values and content[*] values of the feed and of each entry."""
    out = []

    def scan(prefix, obj):
        for key in sorted(obj.keys()):
            v = dict.__getitem__(obj, key)
            if key.endswith("_detail") and isinstance(v, dict) and "value" in v:
                out.append((prefix + key[: -len("_detail")], v.get("type"), v["value"]))
            elif key == "content" and isinstance(v, list):
                for i, c in enumerate(v):
                    if isinstance(c, dict) and "value" in c:
                        out.append(("%scontent[%d]" % (prefix, i), c.get("type"), c["value"]))

    scan("feed.", d.get("feed", {}))
    for i, e in enumerate(d.get("entries", [])):
        scan("entries[%d]." % i, e)
    return out


def payload_report(d):
    values = sanitized_values(d)
    found = []
    for field, _t, value in values:
        for name in payloads_in(value):
            found.append("%s: %s" % (field, name))
    return {
        "payload_free": not found,
        "payloads": found,
        "sanitized": [{"field": f, "type": t, "value": v} for f, t, v in values],
    }


# ---------------------------------------------------------------- expected result


def utc(t):
    """A feedparser *_parsed struct_time (always UTC) as RFC 3339 'Z'. A year outside
    0000-9999 (feedparser's ISO 8601 handler normalises through mktime and can give one,
    e.g. -1 for '0000-00-00') is written with its sign, ISO 8601 expanded style."""
    if t is None:
        return None
    year = "%04d" % t.tm_year if 0 <= t.tm_year <= 9999 else "%+05d" % t.tm_year
    return "%s-%02d-%02dT%02d:%02d:%02dZ" % (
        year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)


def raw(obj, key):
    """dict access without FeedParserDict's key aliases and updated->published fallback."""
    return dict.get(obj, key)


def entry_language(e, feed):
    """(language, where it came from): the entry's own 'language' if feedparser gives it
    one, else the feed's. feedparser sets 'language' on an entry only from an RSS
    <language>/<dc:language> inside the item; xml:lang is not copied there (see
    entry_xml_lang)."""
    if raw(e, "language"):
        return raw(e, "language"), "entry"
    if raw(feed, "language"):
        return raw(feed, "language"), "feed"
    return None, None


def entry_xml_lang(e):
    """The xml:lang in scope inside the entry, as feedparser reports it on the entry's
    title_detail, else content[0], else summary_detail ('language' key). feedparser fills
    it from the nearest xml:lang (element, entry, feed), else the HTTP Content-Language;
    never from an RSS <language> element."""
    for key in ("title_detail", "content", "summary_detail"):
        v = raw(e, key)
        if key == "content":
            v = v[0] if v else None
        if isinstance(v, dict) and v.get("language"):
            return v["language"]
    return None


class _URLCollector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v is not None:
                self.urls.append(v)

    handle_startendtag = handle_starttag


def html_urls(value, ctype):
    """href and src attribute values, in document order, of an HTML value."""
    if not value or not ctype or "html" not in ctype:
        return []
    p = _URLCollector()
    p.feed(value)
    p.close()
    return p.urls


def expected_entry(e, feed):
    title_detail = raw(e, "title_detail") or {}
    summary_detail = raw(e, "summary_detail") or {}
    content = raw(e, "content") or []
    # A summary copied from content (feedparser does so when an entry has text or HTML
    # content and no summary) has no summary_detail: it has the content's type.
    summary_type = summary_detail.get("type") if summary_detail else (content[0].get("type") if content else None)
    lang, lang_from = entry_language(e, feed)
    source = raw(e, "source")
    out = {
        "id": e.get("id"),
        "title": raw(e, "title"),
        "title_type": title_detail.get("type"),
        "title_text": detail_text(raw(e, "title"), title_detail.get("type")),
        "link": raw(e, "link"),
        "published": utc(raw(e, "published_parsed")),
        "updated": utc(raw(e, "updated_parsed")),
    }
    if "created" in e:
        out["created"] = utc(raw(e, "created_parsed"))
    out["author"] = raw(e, "author")
    if isinstance(source, dict):
        out["source_author"] = raw(source, "author")
    out.update({
        "language": lang,
        "language_from": lang_from,
        "xml_lang": entry_xml_lang(e),
        "summary_text": detail_text(raw(e, "summary"), summary_type),
        "content_text": detail_text(content[0].get("value"), content[0].get("type")) if content else None,
    })
    summary_urls = html_urls(raw(e, "summary"), summary_type)
    content_urls = html_urls(content[0].get("value"), content[0].get("type")) if content else []
    if summary_urls:
        out["summary_urls"] = summary_urls
    if content_urls:
        out["content_urls"] = content_urls
    return out


def expected_result(item, d):
    feed = d.get("feed", {})
    http = item.get("http") or {}
    exc = d.get("bozo_exception")
    out = {
        "http": {
            "content_type": http.get("content_type"),
            "content_language": http.get("content_language"),
            "url": http.get("url"),
        },
    }
    if http.get("headers"):
        out["http"]["headers"] = http["headers"]
    out.update({
        "reader": READER,
        "notes": item.get("notes", ""),
        "version": d.get("version") or None,
        "bozo": bool(d.get("bozo")),
        "bozo_exception": type(exc).__name__ if exc is not None else None,
        "encoding": d.get("encoding") or None,
        "feed": {
            "title": raw(feed, "title"),
            "link": raw(feed, "link"),
            "language": raw(feed, "language"),
            "author": raw(feed, "author"),
        },
        "entries": [expected_entry(e, feed) for e in d.get("entries", [])],
    })
    if item.get("group") == "sanitize":
        out.update(payload_report(d))
    return out


def dump(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def expected_path(input_path):
    name = input_path.name
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return input_path.with_name(stem + EXPECTED_SUFFIX)


# ---------------------------------------------------------------- corpus import

CORPUS_DIRS = [
    "wellformed/amp", "wellformed/atom", "wellformed/atom10", "wellformed/base",
    "wellformed/feedburner", "wellformed/http", "wellformed/lang", "wellformed/media-rss",
    "wellformed/namespace", "wellformed/node_precedence", "wellformed/rdf", "wellformed/rss",
    "wellformed/sgml", "wellformed/xml", "illformed", "illformed/chardet", "encoding",
    "entities",
]
SANITIZE_DIRS = ["wellformed/sanitize"]
HEADER_RE = re.compile(rb"^Header:\s+([^:]+):(.+)$", re.M)
DESC_RE = re.compile(rb"Description:\s*(.*?)\s*Expect:\s*(.*)\s*-->")
HARNESS = "http://127.0.0.1:8097/"  # where feedparser's own test harness serves tests/


def to_utf8_for_comments(data):
    """Enough of runtests.convert_to_utf8 to read the header comment of a test file."""
    for bom, enc, skip in ((b"\x00\x00\xfe\xff", "utf-32be", 4), (b"\xff\xfe\x00\x00", "utf-32le", 4),
                           (b"\x00\x00\x00\x3c", "utf-32be", 0), (b"\x3c\x00\x00\x00", "utf-32le", 0),
                           (b"\x00\x3c\x00\x3f", "utf-16be", 0), (b"\x3c\x00\x3f\x00", "utf-16le", 0),
                           (b"\xfe\xff", "utf-16be", 2), (b"\xff\xfe", "utf-16le", 2),
                           (b"\xef\xbb\xbf", "utf-8", 3), (b"\x4c\x6f\xa7\x94", "cp037", 0)):
        if data.startswith(bom):
            try:
                return data[skip:].decode(enc).encode("utf-8")
            except UnicodeDecodeError:
                return data
    return data


def corpus_item(group, tests_dir, rel, sdist):
    src = tests_dir / rel
    data = to_utf8_for_comments(src.read_bytes())
    m = DESC_RE.search(data)
    desc, expect = (m.group(1).decode("utf-8", "replace").strip(), m.group(2).decode("utf-8", "replace").strip()) if m else ("", "")
    headers = {k.decode().strip(): v.decode("utf-8").strip() for k, v in HEADER_RE.findall(data)}
    http = {"content_type": None, "content_language": None, "url": None}
    if "http" in rel.as_posix():
        # runtests.py serves every test whose path contains 'http' from its HTTP server;
        # the others are parsed from the file, with no headers.
        ct = None
        extra = {}
        for k, v in headers.items():
            if k.lower() == "content-type":
                ct = v
            elif k.lower() == "content-language":
                http["content_language"] = v
            else:
                extra[k] = v
        # runtests.py falls back to SimpleHTTPRequestHandler.guess_type: application/xml
        http["content_type"] = ct or "application/xml"
        http["url"] = HARNESS + "tests/" + rel.as_posix()
        if extra:
            http["headers"] = extra
    name = "-".join(rel.parts)
    return {
        "path": "%s/%s" % (group, name),
        "group": group,
        "origin": "%s tests/%s" % (sdist, rel.as_posix()),
        "licence": "BSD-2-Clause (feedparser)",
        "http": http,
        "notes": "feedparser test: %s | Expect: %s" % (desc, expect),
    }


def import_corpus(tests_dir, manifest):
    tests_dir = Path(tests_dir).resolve()
    pkg = tests_dir.parent.name  # e.g. feedparser-6.0.14
    sdist = "%s sdist" % pkg
    kept = [i for i in manifest["feeds"] if i["group"] not in ("corpus", "sanitize")]
    new = []
    for group, dirs in (("corpus", CORPUS_DIRS), ("sanitize", SANITIZE_DIRS)):
        shutil.rmtree(FEEDS / group, ignore_errors=True)
        (FEEDS / group).mkdir(parents=True)
        for d in dirs:
            for src in sorted((tests_dir / d).glob("*.xml")):
                rel = src.relative_to(tests_dir)
                item = corpus_item(group, tests_dir, rel, sdist)
                shutil.copyfile(src, FEEDS / item["path"])
                new.append(item)
        # BSD-2-Clause: redistributions keep the copyright notice and licence.
        shutil.copyfile(tests_dir.parent / "LICENSE", FEEDS / group / "LICENSE-feedparser")
    manifest["feeds"] = new + kept
    return manifest


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 if anything would change")
    ap.add_argument("--import-corpus", metavar="TESTS_DIR", help="feedparser sdist tests/ folder")
    args = ap.parse_args()
    check_environment()

    manifest = json.loads(MANIFEST.read_text("utf-8"))
    if args.import_corpus:
        if args.check:
            sys.exit("--check and --import-corpus do not mix")
        manifest = import_corpus(args.import_corpus, manifest)

    changed = []
    wanted = set()
    paths = set()
    for item in manifest["feeds"]:
        if item["path"] in paths:
            sys.exit("duplicate manifest path: " + item["path"])
        paths.add(item["path"])
        src = FEEDS / item["path"]
        d = parse(src.read_bytes(), item.get("http") or {})
        # derived, kept in the manifest for counting: the number of entries feedparser reads
        item["entries"] = len(d.get("entries", []))
        text = dump(expected_result(item, d))
        dst = expected_path(src)
        wanted.add(dst)
        old = dst.read_text("utf-8") if dst.exists() else None
        if old != text:
            changed.append(dst)
            if not args.check:
                dst.write_text(text, "utf-8")

    manifest["reader"] = READER
    mtext = dump(manifest)
    if MANIFEST.read_text("utf-8") != mtext:
        changed.append(MANIFEST)
        if not args.check:
            MANIFEST.write_text(mtext, "utf-8")

    stale = [p for p in FEEDS.rglob("*" + EXPECTED_SUFFIX) if p not in wanted]
    for p in stale:
        changed.append(p)
        if not args.check:
            p.unlink()

    for p in changed:
        print(("would change: " if args.check else "wrote: ") + str(p.relative_to(ROOT)))
    if args.check and changed:
        sys.exit(1)
    print("%d feeds, %d file(s) %s" % (len(manifest["feeds"]), len(changed), "differ" if args.check else "written"), file=sys.stderr)


if __name__ == "__main__":
    main()
