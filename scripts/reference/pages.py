#!/usr/bin/env python3
"""Regenerate fixtures/reference/pages/*.expected.json from the reference readers.

Run from the repository root with the pinned readers (scripts/reference/requirements.txt):

    /work/refenv/bin/python scripts/reference/pages.py          # rewrite every expected file
    /work/refenv/bin/python scripts/reference/pages.py --check  # exit 1 if anything would change

Every expected value is computed from what extruct (JSON-LD, microdata, RDFa) and mf2py
(microformats2 with classic-microformat backcompat) return for the page; the only inputs besides
the page are the per-file settings in fixtures/reference/pages/manifest.json (url,
source_timezone, notes). The rules applied on top of the readers' output are written out in
fixtures/reference/pages/README.md; each function below names the rule it implements.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import importlib.metadata
import json
import logging
import re
import sys
from pathlib import Path
from urllib.parse import urljoin
import zoneinfo
from zoneinfo import ZoneInfo

import extruct
import mf2py
from dateutil.parser import isoparse, isoparser

PINNED = {"extruct": "0.18.0", "mf2py": "2.0.2"}
# What the readers ran on when the expected files were made; another version only warns.
MADE_WITH = {
    "python-dateutil": "2.9.0.post0",
    "tzdata": "2026.6",
    "beautifulsoup4": "4.15.0",
    "html5lib": "1.1",
    "lxml": "6.1.3",
    "lxml_html_clean": "0.4.6",
    "html-text": "0.7.1",
    "jstyleson": "0.0.2",
    "w3lib": "2.5.0",
    "pyrdfa3": "3.6.5",
    "rdflib": "7.6.0",
}
READER = "extruct 0.18.0 + mf2py 2.0.2"

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "fixtures" / "reference" / "pages"
MANIFEST = PAGES / "manifest.json"

SYNTAXES = ["JSON-LD", "microdata", "RDFa", "h-event"]

# schema.org Event and every subtype of it (transitively), from schema.org release 30.0
# (data/releases/30.0/schemaorg-current-https-types.csv, the "current" vocabulary, which
# includes the pending area). Matching is on the local name only; see local_name().
EVENT_TYPES = frozenset(
    [
        "Event",
        "BroadcastEvent",
        "BusinessEvent",
        "ChildrensEvent",
        "ComedyEvent",
        "ConferenceEvent",
        "CourseInstance",
        "DanceEvent",
        "DeliveryEvent",
        "EducationEvent",
        "EventSeries",
        "ExhibitionEvent",
        "Festival",
        "FoodEvent",
        "Hackathon",
        "LiteraryEvent",
        "MusicEvent",
        "OnDemandEvent",
        "PerformingArtsEvent",
        "PublicationEvent",
        "SaleEvent",
        "ScreeningEvent",
        "SocialEvent",
        "SportsEvent",
        "TheaterEvent",
        "UserBlocks",
        "UserCheckins",
        "UserComments",
        "UserDownloads",
        "UserInteraction",
        "UserLikes",
        "UserPageVisits",
        "UserPlays",
        "UserPlusOnes",
        "UserTweets",
        "VisualArtsEvent",
    ]
)

STATUS = {
    "EventScheduled": "confirmed",
    "EventRescheduled": "confirmed",
    "EventMovedOnline": "confirmed",
    "EventCancelled": "cancelled",
    "EventPostponed": "postponed",
}

# The whitespace that is collapsed and trimmed: exactly the characters with the Unicode
# White_Space property (Rust's char::is_whitespace). Python's own str.split()/\s would also
# take U+001C..U+001F, which are not whitespace here.
WS_CHARS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
WS_RUN = re.compile("[" + re.escape(WS_CHARS) + "]+")

SCHEMA_PREFIXES = ("http://schema.org/", "https://schema.org/", "schema:")

# JSON-LD strings are raw script text, never HTML-decoded by the reader, so titles and
# locations taken from JSON-LD get one html.unescape() (README rules 12 and 14).
UNESCAPE_JSONLD_TEXT = True

UTC = dt.timezone.utc


def collapse(text):
    """Rule 12: whitespace runs (WS_CHARS) become one space; leading/trailing whitespace goes."""
    return WS_RUN.sub(" ", text).strip(WS_CHARS)


def local_name(term):
    """Rule 4: `http://schema.org/X`, `https://schema.org/X` and `schema:X` all mean `X`."""
    for prefix in SCHEMA_PREFIXES:
        if term.startswith(prefix):
            return term[len(prefix) :]
    return term


def is_event_type(types):
    return any(isinstance(t, str) and local_name(t) in EVENT_TYPES for t in types)


# ---------------------------------------------------------------------------------------------
# Dates


class Unreadable(Exception):
    pass


def parse_when(value, tz):
    """Rule 16: one date value -> ("date", date) | ("instant", datetime in UTC) | None (absent).

    Raises Unreadable when isoparse cannot read it. A value is a date only when dateutil's
    isoparser().parse_isodate accepts the whole string (YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD,
    YYYY-Www, YYYY-Www-D, YYYY-DDD)."""
    if value is None:
        return None
    text = value.strip(WS_CHARS)
    if not text:
        return None
    try:
        return ("date", isoparser().parse_isodate(text))
    except ValueError:
        pass
    try:
        when = isoparse(text)
        if when.tzinfo is None:
            when = when.replace(tzinfo=ZoneInfo(tz), fold=0)
        return ("instant", when.astimezone(UTC))
    except (ValueError, OverflowError) as exc:
        raise Unreadable(text) from exc


def written_date(value):
    """Rule 17: the date of a date-time value before any zone conversion (isoparse's date)."""
    text = value.strip(WS_CHARS)
    return isoparse(text).date()


def fmt_instant(when):
    return "%04d-%02d-%02dT%02d:%02d:%02dZ" % (
        when.year,
        when.month,
        when.day,
        when.hour,
        when.minute,
        when.second,
    )


def times(start_value, end_value, tz):
    """Rule 17 -> (all_day, start, end); raises Unreadable for an unreadable start; None if no
    start value."""
    start = parse_when(start_value, tz)
    if start is None:
        return None
    try:
        end = parse_when(end_value, tz)
    except Unreadable:
        end = None  # an unreadable end is dropped; the event is still listed
    if start[0] == "date":
        if end is None:
            end_out = None
        elif end[0] == "date":
            end_out = (end[1] + dt.timedelta(days=1)).isoformat()
        else:
            end_out = (written_date(end_value) + dt.timedelta(days=1)).isoformat()
        return True, start[1].isoformat(), end_out
    if end is None:
        end_out = None
    elif end[0] == "date":
        next_day = end[1] + dt.timedelta(days=1)
        midnight = dt.datetime(next_day.year, next_day.month, next_day.day, tzinfo=ZoneInfo(tz))
        end_out = fmt_instant(midnight.astimezone(UTC))
    else:
        end_out = fmt_instant(end[1])
    return False, fmt_instant(start[1]), end_out


def absolute(page_url, value):
    """Rule 13."""
    if value is None:
        return None
    text = value.strip(WS_CHARS)
    if not text:
        return None
    return urljoin(page_url, text)


def status_of(value):
    """Rule 15."""
    if value is None:
        return None
    term = value.strip(WS_CHARS)
    term = term.rsplit("/", 1)[-1]
    term = term.rsplit(":", 1)[-1]
    return STATUS.get(term)


def make_event(title, when, location, url, status):
    all_day, start, end = when
    return {
        "title": title,
        "all_day": all_day,
        "start": start,
        "end": end,
        "location": location,
        "url": url,
        "status": status,
    }


# ---------------------------------------------------------------------------------------------
# schema.org items, one adapter per syntax


class JsonLd:
    """extruct's JSON-LD output: a list of the top-level values of every ld+json script."""

    syntax = "JSON-LD"

    def __init__(self, data):
        self.data = data
        self.by_id = {}
        for node in self._dicts(data):
            node_id = node.get("@id")
            if isinstance(node_id, str) and any(k != "@id" for k in node) and node_id not in self.by_id:
                self.by_id[node_id] = node

    def _dicts(self, value):
        if isinstance(value, list):
            for v in value:
                yield from self._dicts(v)
        elif isinstance(value, dict):
            yield value
            for k, v in value.items():
                if k != "@context":
                    yield from self._dicts(v)

    def items(self):
        """Every JSON object, pre-order, keys in source order (@context skipped)."""
        return self._dicts(self.data)

    def types(self, item):
        t = item.get("@type")
        if isinstance(t, str):
            return [t]
        if isinstance(t, list):
            return [x for x in t if isinstance(x, str)]
        return []

    def values(self, item, prop):
        out = []
        for key, value in item.items():
            if key.startswith("@") or local_name(key) != prop:
                continue
            out.extend(value if isinstance(value, list) else [value])
        flat = []
        for v in out:  # nested arrays are flattened one level further
            flat.extend(v if isinstance(v, list) else [v])
        return flat

    def text(self, value):
        if isinstance(value, dict) and "@value" in value:
            value = value["@value"]
        return value if isinstance(value, str) else None

    def iri(self, value):
        if isinstance(value, dict):
            if "@id" in value and isinstance(value["@id"], str):
                return value["@id"]
            return None
        return value if isinstance(value, str) else None

    def node(self, value):
        if not isinstance(value, dict) or "@value" in value:
            return None
        if set(value) == {"@id"}:
            return self.by_id.get(value["@id"])
        return value

    def is_nonempty(self, value):
        if isinstance(value, str):
            return bool(value.strip(WS_CHARS))
        if isinstance(value, dict):
            return bool(value)
        return False

    def clean(self, text):
        return html.unescape(text) if UNESCAPE_JSONLD_TEXT else text

    first_is_sorted = False


class Microdata:
    """extruct's microdata output (not uniform): {"type", "properties", "id"?, "value"?}."""

    syntax = "microdata"

    def __init__(self, data):
        self.data = data

    def _walk(self, value):
        if isinstance(value, list):
            for v in value:
                yield from self._walk(v)
        elif isinstance(value, dict) and ("type" in value or "properties" in value or "value" in value):
            yield value
            for v in value.get("properties", {}).values():
                yield from self._walk(v)

    def items(self):
        return self._walk(self.data)

    def types(self, item):
        t = item.get("type")
        return [t] if isinstance(t, str) else list(t) if isinstance(t, list) else []

    def values(self, item, prop):
        out = []
        for key, value in item.get("properties", {}).items():
            if local_name(key) != prop:
                continue
            out.extend(value if isinstance(value, list) else [value])
        return out

    def text(self, value):
        return value if isinstance(value, str) else None

    iri = text

    def node(self, value):
        return value if isinstance(value, dict) else None

    def is_nonempty(self, value):
        if isinstance(value, str):
            return bool(value.strip(WS_CHARS))
        return isinstance(value, dict)

    def clean(self, text):
        return text

    first_is_sorted = False


class Rdfa:
    """extruct's RDFa output: expanded, flattened JSON-LD nodes in no stable order."""

    syntax = "RDFa"

    def __init__(self, data):
        self.data = [n for n in data if isinstance(n, dict)]
        self.by_id = {}
        for node in self.data:
            if isinstance(node.get("@id"), str):
                self.by_id.setdefault(node["@id"], node)

    def items(self):
        return iter(self.data)

    def types(self, item):
        return [t for t in item.get("@type", []) if isinstance(t, str)]

    def values(self, item, prop):
        out = []
        for key, value in item.items():
            if key.startswith("@") or local_name(key) != prop:
                continue
            out.extend(value if isinstance(value, list) else [value])
        # RDF is a set: extruct's order changes from run to run, so "first" means the
        # smallest lexical form (literal @value, else @id) in code-point order.
        return sorted(out, key=self._lexical)

    @staticmethod
    def _lexical(value):
        if isinstance(value, dict):
            if "@value" in value:
                return str(value["@value"])
            return str(value.get("@id", ""))
        return str(value)

    def text(self, value):
        if isinstance(value, dict) and "@value" in value and isinstance(value["@value"], str):
            return value["@value"]
        return None

    def iri(self, value):
        if isinstance(value, dict):
            if isinstance(value.get("@id"), str):
                return value["@id"]
            if isinstance(value.get("@value"), str):
                return value["@value"]
        return None

    def node(self, value):
        if isinstance(value, dict) and "@id" in value and "@value" not in value:
            return self.by_id.get(value["@id"])
        return None

    def is_nonempty(self, value):
        if isinstance(value, dict) and "@value" in value:
            return bool(str(value["@value"]).strip(WS_CHARS))
        return isinstance(value, dict)

    def clean(self, text):
        return text

    first_is_sorted = True


def first_text(adapter, item, prop):
    for value in adapter.values(item, prop):
        text = adapter.text(value)
        if text is not None:
            return text
    return None


def first_iri(adapter, item, prop):
    for value in adapter.values(item, prop):
        text = adapter.iri(value)
        if text is not None:
            return text
    return None


def place_text(adapter, value):
    """Rule 14: one location value -> text or None."""
    text = adapter.text(value)
    if text is not None:
        return collapse(adapter.clean(text)) or None
    node = adapter.node(value)
    if node is None:
        return None
    name = first_text(adapter, node, "name")
    if name is not None and collapse(adapter.clean(name)):
        return collapse(adapter.clean(name))
    addresses = adapter.values(node, "address")
    if addresses:
        address = addresses[0]
        address_text = adapter.text(address)
        if address_text is not None:
            found = collapse(adapter.clean(address_text)) or None
        else:
            address_node = adapter.node(address)
            found = street_locality(adapter, address_node) if address_node is not None else None
        if found:
            return found
    return street_locality(adapter, node)


def street_locality(adapter, node):
    parts = []
    for prop in ("streetAddress", "addressLocality"):
        text = first_text(adapter, node, prop)
        if text is not None and collapse(adapter.clean(text)):
            parts.append(collapse(adapter.clean(text)))
    return ", ".join(parts) or None


def is_virtual(adapter, value):
    node = adapter.node(value)
    return node is not None and any(local_name(t) == "VirtualLocation" for t in adapter.types(node))


def location_of(adapter, item):
    """Rule 14: which location value (RDFa: rule 11's set reading)."""
    values = adapter.values(item, "location")
    if not values:
        return None
    if adapter.first_is_sorted:
        # RDFa: the smallest location text among non-virtual places, else among all values.
        real = [place_text(adapter, v) for v in values if adapter.node(v) is not None and not is_virtual(adapter, v)]
        real = sorted(t for t in real if t)
        if real:
            return real[0]
        every = sorted(t for t in (place_text(adapter, v) for v in values) if t)
        return every[0] if every else None
    chosen = next(
        (v for v in values if adapter.node(v) is not None and not is_virtual(adapter, v)),
        values[0],
    )
    return place_text(adapter, chosen)


def schema_events(adapter, tz, page_url, unreadable):
    """Rules 4-8 and 10-11 for one schema.org syntax."""
    events = []
    for item in adapter.items():
        if not is_event_type(adapter.types(item)):
            continue
        if any(adapter.is_nonempty(v) for v in adapter.values(item, "subEvent")):
            continue  # a container: its sub-events are listed, not itself
        raw_name = first_text(adapter, item, "name")
        title = collapse(adapter.clean(raw_name)) if raw_name is not None else ""
        if not title:
            continue
        start = first_text(adapter, item, "startDate")
        end = first_text(adapter, item, "endDate")
        try:
            when = times(start, end, tz)
        except Unreadable:
            unreadable.append(title)
            continue
        if when is None:
            continue
        events.append(
            make_event(
                title,
                when,
                location_of(adapter, item),
                absolute(page_url, first_iri(adapter, item, "url")),
                status_of(first_iri(adapter, item, "eventStatus")),
            )
        )
    if adapter.first_is_sorted:
        events.sort(key=sort_key)
    return events


def sort_key(event):
    return tuple(
        "" if event[k] is None else str(event[k])
        for k in ("start", "title", "end", "location", "url", "status", "all_day")
    )


# ---------------------------------------------------------------------------------------------
# microformats


def mf_items(items):
    """Rule 9: item, then its property values that are items, then its children."""
    for item in items:
        yield item
        for values in item.get("properties", {}).values():
            nested = [v for v in values if isinstance(v, dict) and "type" in v]
            yield from mf_items(nested)
        yield from mf_items(item.get("children", []))


def mf_first(item, prop):
    values = item.get("properties", {}).get(prop, [])
    return values[0] if values else None


def mf_text(value):
    if isinstance(value, dict):
        value = value.get("value")
    return value if isinstance(value, str) else None


def mf_location(value):
    """Rule 14, mf2 part."""
    if value is None:
        return None
    if isinstance(value, dict) and "type" in value:
        name = mf_first(value, "name")
        if isinstance(name, str) and collapse(name):
            return collapse(name)
        text = value.get("value")
        return (collapse(text) or None) if isinstance(text, str) else None
    text = mf_text(value)
    return (collapse(text) or None) if text is not None else None


def hevents(parsed, tz, page_url, unreadable):
    """Rules 7-9 for mf2py's output."""
    events = []
    for item in mf_items(parsed.get("items", [])):
        if "h-event" not in item.get("type", []):
            continue
        raw_name = mf_text(mf_first(item, "name"))
        title = collapse(raw_name) if raw_name is not None else ""
        if not title:
            continue
        try:
            when = times(mf_text(mf_first(item, "start")), mf_text(mf_first(item, "end")), tz)
        except Unreadable:
            unreadable.append(title)
            continue
        if when is None:
            continue
        events.append(
            make_event(
                title,
                when,
                mf_location(mf_first(item, "location")),
                absolute(page_url, mf_text(mf_first(item, "url"))),
                None,
            )
        )
    return events


# ---------------------------------------------------------------------------------------------


def read_page(path, settings, explain=False):
    """Rules 1-3 and 18."""
    page_url = settings["url"]
    tz = settings["source_timezone"]
    raw = path.read_bytes()
    extracted = extruct.extract(
        raw,
        base_url=page_url,
        syntaxes=["json-ld", "microdata", "rdfa"],
        errors="log",
    )
    parsed = mf2py.parse(doc=raw.decode("utf-8"), url=page_url)

    failed = [name for key, name in (("json-ld", "JSON-LD"), ("microdata", "microdata"), ("rdfa", "RDFa")) if key not in extracted]
    unreadable = []
    by_syntax = {
        "JSON-LD": schema_events(JsonLd(extracted.get("json-ld", [])), tz, page_url, unreadable),
        "microdata": schema_events(Microdata(extracted.get("microdata", [])), tz, page_url, unreadable),
        "RDFa": schema_events(Rdfa(extracted.get("rdfa", [])), tz, page_url, unreadable),
        "h-event": hevents(parsed, tz, page_url, unreadable),
    }
    method = next((s for s in SYNTAXES if by_syntax[s]), None)
    if explain:
        return by_syntax
    out = {
        "url": page_url,
        "source_timezone": tz,
        "reader": READER,
        "notes": settings["notes"],
        "counts": {s: len(by_syntax[s]) for s in SYNTAXES},
        "method": method,
        "events": by_syntax[method] if method else [],
        "unreadable": unreadable,
    }
    if failed:
        out["reader_errors"] = failed
    return out


def render(obj):
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if any expected file would change")
    parser.add_argument("--explain", metavar="NAME", help="print every syntax's events for one page (writes nothing)")
    args = parser.parse_args(argv)

    for package, version in PINNED.items():
        installed = importlib.metadata.version(package)
        if installed != version:
            sys.exit("%s %s is installed, the fixtures are for %s %s (scripts/reference/requirements.txt)" % (package, installed, package, version))

    for package, version in MADE_WITH.items():
        try:
            installed = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            print("warning: %s %s installed; the expected files were made with %s" % (package, installed, version), file=sys.stderr)

    # Zones come from the pinned tzdata package, not from the system's /usr/share/zoneinfo.
    zoneinfo.reset_tzpath(to=[])

    # extruct logs a syntax it could not read (errors="log"); that is recorded in reader_errors.
    logging.disable(logging.CRITICAL)

    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))["pages"]
    if args.explain:
        print(render(read_page(PAGES / (args.explain + ".html"), manifest[args.explain], explain=True)), end="")
        return 0
    pages = sorted(p.name[: -len(".html")] for p in PAGES.glob("*.html"))
    problems = []
    missing = sorted(set(pages) - set(manifest))
    extra = sorted(set(manifest) - set(pages))
    if missing or extra:
        for name in missing:
            problems.append("%s.html has no entry in manifest.json" % name)
        for name in extra:
            problems.append("manifest.json names %s.html, which does not exist" % name)
        print("\n".join(problems), file=sys.stderr)
        return 1

    changed = []
    for name in pages:
        text = render(read_page(PAGES / (name + ".html"), manifest[name]))
        target = PAGES / (name + ".expected.json")
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old != text:
            changed.append(target.name)
            if not args.check:
                target.write_text(text, encoding="utf-8")
    stale = sorted(
        p.name for p in PAGES.glob("*.expected.json") if p.name[: -len(".expected.json")] not in manifest
    )
    for name in stale:
        changed.append(name + " (no page)")
    if args.check:
        if changed:
            print("would change: " + ", ".join(changed), file=sys.stderr)
            return 1
        print("%d expected files up to date" % len(pages))
        return 0
    print("%d pages, %d expected files written%s" % (len(pages), len(changed) - len(stale), (", stale: " + ", ".join(stale)) if stale else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
