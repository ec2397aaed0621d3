#!/usr/bin/env python3
"""Expected posts of fixtures/reference/page-posts/*.html, read by independent readers:
extruct (JSON-LD, microdata), mf2py (h-entry, hAtom backcompat) and BeautifulSoup's CSS
selectors (soupsieve) for the operator's post selectors in sources.json.

Rules (the same as the issue's): schema.org items typed Article, BlogPosting,
NewsArticle, Report, WebPage (and the Article subtypes listed in ARTICLE) anywhere in the
data; title = headline, else name (a WebPage needs a headline); published =
datePublished else dateCreated, updated = dateModified; a WebPage needs a date, an
article a date or a url. The first method (JSON-LD, microdata, h-entry, selectors) that
finds posts wins. Dates without an offset are read in America/Toronto; a date alone is
its midnight there. Links are made absolute against the page.

Run: python3 -m venv /tmp/venv && /tmp/venv/bin/pip install extruct mf2py
     /tmp/venv/bin/python scripts/reference/page_posts.py
"""
import json, re, sys, html
from datetime import datetime, date, time
from pathlib import Path
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import extruct, mf2py
from bs4 import BeautifulSoup

ZONE = ZoneInfo("America/Toronto")
FOLDER = Path(__file__).resolve().parents[2] / "fixtures/reference/page-posts"
ARTICLE = {"Article", "AnalysisNewsArticle", "BackgroundNewsArticle", "BlogPosting",
           "LiveBlogPosting", "NewsArticle", "OpinionNewsArticle", "ReportageNewsArticle",
           "Report", "ScholarlyArticle", "TechArticle"}
MONTHS = {m: i + 1 for i, m in enumerate(
    "january february march april may june july august september october november december".split())}
MONTHS.update({m: i + 1 for i, m in enumerate(
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre".split())})


def collapse(text):
    return " ".join(str(text).split()) if text is not None else None


def local(t):
    return re.sub(r"^(https?://schema\.org/|schema:)", "", t)


def instant(text):
    if not text:
        return None
    text = text.strip()
    m = re.fullmatch(r"(?:le\s+)?(\d{1,2})\s+(\w+)\s+(\d{4})|(\w+)\s+(\d{1,2}),\s+(\d{4})", text, re.I)
    if m:
        if m.group(1):
            d = date(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
        else:
            d = date(int(m.group(6)), MONTHS[m.group(4).lower()], int(m.group(5)))
        return datetime.combine(d, time(), ZONE).astimezone(ZoneInfo("UTC")).isoformat()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return datetime.combine(date.fromisoformat(text), time(), ZONE).astimezone(ZoneInfo("UTC")).isoformat()
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZONE)
    return dt.astimezone(ZoneInfo("UTC")).isoformat()


def first(value):
    if isinstance(value, list):
        return value[0] if value else None
    return value


def walk(node):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v)


def schema_posts(items, page_url, jsonld):
    out = []
    for item in walk(items):
        types = item.get("@type") or item.get("type") or []
        types = [local(t) for t in (types if isinstance(types, list) else [types])]
        props = item.get("properties", item) if not jsonld else item
        if not any(t in ARTICLE or t == "WebPage" for t in types):
            continue
        only_page = not any(t in ARTICLE for t in types)
        clean = (lambda s: collapse(html.unescape(s))) if jsonld else collapse
        headline = first(props.get("headline"))
        title = clean(headline) if isinstance(headline, str) and clean(headline) else None
        if title is None and not only_page:
            name = first(props.get("name"))
            title = clean(name) if isinstance(name, str) and clean(name) else None
        if not title:
            continue
        published = first(props.get("datePublished")) or first(props.get("dateCreated"))
        updated = first(props.get("dateModified"))
        url = first(props.get("url"))
        if not (published or updated or (not only_page and url)):
            continue
        author = first(props.get("author")) or first(props.get("creator"))
        if isinstance(author, dict):
            author = first(author.get("properties", author).get("name"))
        summary = first(props.get("description")) or first(props.get("abstract"))
        link = urljoin(page_url, url.strip()) if isinstance(url, str) else None
        if link and link.rstrip("/") == page_url.rstrip("/"):
            continue
        out.append({"title": title, "link": link, "author": clean(author) if author else None,
                    "published": instant(published), "updated": instant(updated),
                    "summary": clean(summary) if summary else None})
    return out


def hentry_posts(parsed):
    out = []
    def visit(item):
        if "h-entry" in item.get("type", []):
            p = item.get("properties", {})
            name = collapse(first(p.get("name", [None])))
            if name:
                author = first(p.get("author", [None]))
                if isinstance(author, dict):
                    author = first(author.get("properties", {}).get("name", [None])) or author.get("value")
                summary = first(p.get("summary", [None])) or first(p.get("content", [None]))
                if isinstance(summary, dict):
                    summary = summary.get("value")
                out.append({"title": name, "link": first(p.get("url", [None])),
                            "author": collapse(author), "published": instant(first(p.get("published", [None]))),
                            "updated": instant(first(p.get("updated", [None]))), "summary": collapse(summary) or None})
        for values in item.get("properties", {}).values():
            for v in values:
                if isinstance(v, dict) and "type" in v:
                    visit(v)
        for child in item.get("children", []):
            visit(child)
    for item in parsed["items"]:
        visit(item)
    return out


def selector_posts(text, page_url, selectors):
    soup = BeautifulSoup(text, "html5lib")
    def read(item, spec):
        if not spec:
            return None
        css, _, attr = spec.partition("@")
        found = item.select_one(css)
        if found is None:
            return None
        value = found.get(attr) if attr else found.get_text()
        return collapse(value) or None
    out = []
    for item in soup.select(selectors["item"]):
        anchor = item.select_one("a[href]")
        title = read(item, selectors.get("title")) or (collapse(anchor.get_text()) if anchor else None)
        if not title:
            continue
        link = read(item, selectors.get("link")) or (anchor.get("href") if anchor else None)
        date_text = read(item, selectors.get("date"))
        if date_text is None:
            t = item.select_one("time[datetime]")
            date_text = t.get("datetime") if t else None
        out.append({"title": title, "link": urljoin(page_url, link) if link else None,
                    "author": read(item, selectors.get("author")), "published": instant(date_text),
                    "updated": None, "summary": read(item, selectors.get("summary"))})
    return out


def main():
    sources = json.loads((FOLDER / "sources.json").read_text())
    for name, source in sorted(sources.items()):
        text = (FOLDER / f"{name}.html").read_text()
        url = source["url"]
        data = extruct.extract(text, base_url=url, syntaxes=["json-ld", "microdata"], uniform=False)
        methods = [("JSON-LD", schema_posts(data["json-ld"], url, True)),
                   ("microdata", schema_posts(data["microdata"], url, False)),
                   ("h-entry", hentry_posts(mf2py.parse(doc=text, url=url)))]
        if "post_selectors" in source:
            methods.append(("selectors", selector_posts(text, url, source["post_selectors"])))
        method, posts = next(((m, p) for m, p in methods if p), (None, []))
        expected = {"method": method, "counts": {m: len(p) for m, p in methods}, "posts": posts}
        (FOLDER / f"{name}.expected.json").write_text(json.dumps(expected, indent=2, ensure_ascii=False) + "\n")
        print(name, method, len(posts))


if __name__ == "__main__":
    sys.exit(main())
