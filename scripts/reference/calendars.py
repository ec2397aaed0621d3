#!/usr/bin/env python3
"""Regenerate the expected occurrences of the reference calendar corpus.

    /work/refenv/bin/python scripts/reference/calendars.py            # rewrite every NAME.expected.json
    /work/refenv/bin/python scripts/reference/calendars.py --check    # exit 1 if any would change
    /work/refenv/bin/python scripts/reference/calendars.py NAME ...   # only these inputs

Inputs are fixtures/reference/calendars/NAME.ics; per-file settings (source_timezone,
window, notes, origin, licence) come from fixtures/reference/calendars/manifest.json.
Nothing here knows any file's results: every occurrence comes from the reference readers,
icalendar + recurring_ical_events (pinned in scripts/reference/requirements.txt), called as

    calendar = icalendar.Calendar.from_ical(ics_bytes)
    query = recurring_ical_events.of(calendar, skip_bad_series=True)   # also applies X-WR-TIMEZONE

Each input is read in a fresh interpreter: icalendar caches every non-IANA VTIMEZONE it
has seen for the whole process (first definition wins), so reading several files in one
process would let one file's VTIMEZONE leak into the next.

The README beside the inputs states the rules this script applies.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALENDARS = ROOT / "fixtures" / "reference" / "calendars"
MANIFEST = CALENDARS / "manifest.json"
REQUIREMENTS = Path(__file__).resolve().parent / "requirements.txt"
UTC = dt.timezone.utc
MAX_PER_SERIES = 400
# How far beyond the window the reference is asked, so that every occurrence whose start
# falls inside the window is returned whatever the zone (floating times are compared
# against the span as wall-clock times by the reference) and is then filtered by start.
MARGIN = dt.timedelta(days=2)


def load_manifest() -> list[dict]:
    with MANIFEST.open(encoding="utf-8") as f:
        manifest = json.load(f)
    entries = manifest["files"]
    names = [e["name"] for e in entries]
    if len(names) != len(set(names)):
        raise SystemExit("manifest.json: duplicate names")
    return entries


def pinned_versions() -> dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.strip().lower().replace("_", "-")] = version.strip()
    return pins


def installed_versions() -> dict[str, str]:
    from importlib.metadata import version

    return {
        name: version(name)
        for name in ("icalendar", "recurring-ical-events", "x-wr-timezone", "python-dateutil", "tzdata")
    }


def parse_utc_midnight(text: str) -> dt.datetime:
    value = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    if value.time() != dt.time(0):
        raise SystemExit(f"window bound {text} is not midnight UTC")
    return value


# ---------------------------------------------------------------------------------------
# Child: read one file with the reference readers and print its occurrences as JSON.
# ---------------------------------------------------------------------------------------


def is_datetime(value) -> bool:
    return isinstance(value, dt.datetime)


def instant(value, zone) -> dt.datetime:
    """The UTC instant of a reference value; floating and all-day values are in `zone`."""
    if is_datetime(value):
        if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
            value = value.replace(tzinfo=zone, fold=0)
        return value.astimezone(UTC)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(0), tzinfo=zone).astimezone(UTC)
    raise TypeError(f"not a date or datetime: {value!r}")


def render(value, zone) -> str:
    if is_datetime(value):
        utc = instant(value, zone)
        if utc.microsecond:
            raise ValueError(f"sub-second time {value!r}")
        return utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def text_or_none(component, name):
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):  # a property given twice: the first one
        value = value[0]
    return str(value)


def categories(component) -> list[str]:
    """Every CATEGORIES value of the component, in order, across all its CATEGORIES lines."""
    value = component.get("CATEGORIES")
    if value is None:
        return []
    lines = value if isinstance(value, list) else [value]
    return [str(category) for line in lines for category in line.cats]


def read_one(path: Path, source_timezone: str, window_from: str, window_to: str) -> dict:
    import warnings
    from zoneinfo import ZoneInfo

    import icalendar
    import recurring_ical_events

    warnings.simplefilter("ignore")
    zone = ZoneInfo(source_timezone)
    lo = parse_utc_midnight(window_from)
    hi = parse_utc_midnight(window_to)

    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    query = recurring_ical_events.of(calendar, skip_bad_series=True)

    # Series the reference dropped, for the report only (not part of the expected file).
    kept_uids = {series.uid for series in query.series}
    walked = calendar.walk("VEVENT")
    dropped_uids = sorted({str(c["UID"]) for c in walked if "UID" in c and str(c["UID"]) not in kept_uids})
    dropped = {}
    for uid in dropped_uids:
        try:
            recurring_ical_events.Series(
                [recurring_ical_events.EventAdapter(c) for c in walked if str(c.get("UID")) == uid]
            )
            dropped[uid] = "?"
        except Exception as error:  # noqa: BLE001 - reported, the reference suppresses these
            dropped[uid] = f"{type(error).__name__}: {error}"
    errors = {}
    for series in query.series:
        try:
            list(series.between(lo - MARGIN, hi + MARGIN))
        except Exception as error:  # noqa: BLE001 - reported, the reference suppresses these
            errors[str(series.uid)] = f"{type(error).__name__}: {error}"

    events = []
    for occurrence in query._occurrences_between(lo - MARGIN, hi + MARGIN):
        component = occurrence.as_component(query.keep_recurrence_attributes)
        start, end = occurrence.start, occurrence.end
        start_utc = instant(start, zone)
        if not lo <= start_utc < hi:
            continue
        adapter = occurrence._adapter
        series = next(s for s in query.series if adapter in s.components)
        # Part of a recurring set: some component of the series has a rule or an RDATE
        # the reference reads (an empty "RRULE:" does not count), or is an override.
        recurring = any(c.rrules or c.rdates or c.is_modification() for c in series.components)
        if not recurring:
            recurrence_id = None
        elif adapter.is_modification() and not adapter.this_and_future:
            recurrence_id = render(adapter._component["RECURRENCE-ID"].dt, zone)
        else:
            # The core's own slot, or a slot moved by a RANGE=THISANDFUTURE override:
            # the reference moved it by move_recurrences_by, so undo that.
            original = start - adapter.move_recurrences_by
            recurrence_id = render(original, zone)
        status = text_or_none(component, "STATUS")
        sequence = component.get("SEQUENCE")
        uid = component.get("UID")
        events.append(
            {
                "uid": None if uid is None else str(uid),
                "recurrence_id": recurrence_id,
                "title": text_or_none(component, "SUMMARY"),
                "all_day": not is_datetime(start),
                "start": render(start, zone),
                "end": render(end, zone),
                "status": None if status is None else status.lower(),
                "sequence": 0 if sequence is None else int(sequence),
                "location": text_or_none(component, "LOCATION"),
                "description": text_or_none(component, "DESCRIPTION"),
                "categories": categories(component),
                "_sort": [start_utc.isoformat()],
            }
        )
    events.sort(
        key=lambda e: (
            e["_sort"][0],
            e["uid"] or "",
            e["recurrence_id"] or "",
            e["end"],
            e["title"] or "",
            e["status"] or "",
            e["location"] or "",
        )
    )
    for e in events:
        del e["_sort"]
    counts: dict = {}
    for e in events:
        if e["recurrence_id"] is not None:
            counts[e["uid"]] = counts.get(e["uid"], 0) + 1
    too_many = {uid: n for uid, n in counts.items() if n > MAX_PER_SERIES}
    return {"events": events, "dropped": dropped, "errors": errors, "too_many": too_many}


def child_main(name: str) -> int:
    entry = next(e for e in load_manifest() if e["name"] == name)
    try:
        result = read_one(
            CALENDARS / f"{name}.ics",
            entry["source_timezone"],
            entry["window"]["from"],
            entry["window"]["to"],
        )
    except Exception as error:  # noqa: BLE001 - the parent reports a refused file
        json.dump({"refused": f"{type(error).__name__}: {error}"}, sys.stdout)
        return 0
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


# ---------------------------------------------------------------------------------------
# Parent: one child per file, then write or compare the expected files.
# ---------------------------------------------------------------------------------------


def expected_document(entry: dict, reader: str, events: list) -> str:
    document = {
        "source_timezone": entry["source_timezone"],
        "window": {"from": entry["window"]["from"], "to": entry["window"]["to"]},
        "reader": reader,
        "notes": entry["notes"],
        "events": events,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="only these inputs (names without .ics)")
    parser.add_argument("--check", action="store_true", help="exit 1 if any expected file would change")
    parser.add_argument("--verbose", "-v", action="store_true", help="report every file")
    parser.add_argument("--read-one", metavar="NAME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.read_one:
        return child_main(args.read_one)

    pins, installed = pinned_versions(), installed_versions()
    wrong = {n: v for n, v in installed.items() if pins.get(n) not in (None, v)}
    if wrong:
        print(f"installed versions differ from requirements.txt: {wrong} (pinned {pins})", file=sys.stderr)
        return 2
    reader = f"icalendar {installed['icalendar']} + recurring-ical-events {installed['recurring-ical-events']}"

    entries = load_manifest()
    listed = {e["name"] for e in entries}
    inputs = {p.name[: -len(".ics")] for p in CALENDARS.glob("*.ics")}
    outputs = {p.name[: -len(".expected.json")] for p in CALENDARS.glob("*.expected.json")}
    problems = []
    for name in sorted(inputs - listed):
        problems.append(f"{name}.ics is not in manifest.json")
    for name in sorted(listed - inputs):
        problems.append(f"manifest.json lists {name} but {name}.ics is missing")
    for name in sorted(outputs - listed):
        problems.append(f"{name}.expected.json has no entry in manifest.json")
    if args.names:
        unknown = set(args.names) - listed
        if unknown:
            print(f"not in manifest.json: {sorted(unknown)}", file=sys.stderr)
            return 2
        entries = [e for e in entries if e["name"] in args.names]

    changed = []
    for entry in entries:
        name = entry["name"]
        if name not in inputs:
            continue
        for key in ("source_timezone", "window", "notes", "origin", "licence"):
            if key not in entry:
                problems.append(f"{name}: manifest entry has no {key}")
        run = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--read-one", name],
            capture_output=True,
            text=True,
            encoding="utf-8",
            check=False,
        )
        if run.returncode != 0:
            problems.append(f"{name}: reader crashed: {run.stderr.strip()[-2000:]}")
            continue
        result = json.loads(run.stdout)
        if "refused" in result:
            problems.append(f"{name}: refused by the reference: {result['refused']}")
            continue
        if result["too_many"]:
            problems.append(f"{name}: more than {MAX_PER_SERIES} occurrences in the window: {result['too_many']}")
        if not result["events"] and not entry.get("allow_empty"):
            problems.append(f"{name}: no occurrence in the window")
        text = expected_document(entry, reader, result["events"])
        target = CALENDARS / f"{name}.expected.json"
        old = target.read_text(encoding="utf-8") if target.exists() else None
        if old != text:
            changed.append(name)
            if not args.check:
                target.write_text(text, encoding="utf-8", newline="\n")
        if args.verbose or result["dropped"] or result["errors"]:
            line = f"{name}: {len(result['events'])} occurrences"
            if result["dropped"]:
                line += f"; series dropped by the reference: {result['dropped']}"
            if result["errors"]:
                line += f"; series failing in between(): {result['errors']}"
            print(line)

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if args.check:
        for name in changed:
            print(f"would change: {name}.expected.json", file=sys.stderr)
        return 1 if changed or problems else 0
    for name in changed:
        print(f"wrote {name}.expected.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
