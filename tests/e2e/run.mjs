// End-to-end test of Bulletin in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download). It starts the real `bulletin serve` on loopback
// with a seeded sources file, then as a person would: loads the listing, applies a filter,
// opens an event, follows its calendar link, registers a source through the form with a
// preview, approves it as the administrator, and sees its events appear. It checks the
// pages' conventions too: zone labels (an event in St. John's shown in NT and ET), the
// description rendered as HTML, the quick date links, and the filters folded away so the
// first event is above the fold on a laptop and on a phone; the sources page's summary
// and its errors in plain words; an event submitted through the form, approved, listed,
// and shown by the embed in a frame on an allowed intranet origin (refused on another).
// Every page is checked with axe-core for accessibility
// problems, in English and in French; screenshots go to ../../screenshots/. Nothing here
// leaves 127.0.0.1.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const binary = process.env.BULLETIN_BIN || join(root, "target/debug/bulletin");
const shots = join(root, "screenshots");
const token = "e2e-admin-token";
const axeSource = readFileSync(join(here, "node_modules/axe-core/axe.min.js"), "utf8");
mkdirSync(shots, { recursive: true });

function listen(server) {
  return new Promise((ok) => server.listen(0, "127.0.0.1", () => ok(server.address().port)));
}

async function freePort() {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((ok) => probe.close(ok));
  return port;
}

async function waitFor(check, what, seconds = 30) {
  const until = Date.now() + seconds * 1000;
  while (Date.now() < until) {
    try {
      if (await check()) return;
    } catch {}
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

// A department's calendar, served the way a department site would serve it.
const upstream = createServer((req, res) => {
  if (req.url === "/team/calendar.ics") {
    res.writeHead(200, { "content-type": "text/calendar; charset=utf-8" });
    res.end(readFileSync(join(root, "fixtures/ics/cancelled-upstream-before.ics")));
  } else {
    res.writeHead(404).end();
  }
});
const upstreamPort = await listen(upstream);

// A mail server on loopback for the weekly digest: accepts every message and keeps it.
const mails = [];
const smtp = createTcpServer((socket) => {
  let buffer = "";
  let inData = false;
  let message = "";
  socket.write("220 e2e.test ESMTP\r\n");
  socket.on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let end;
    while ((end = buffer.indexOf("\r\n")) >= 0) {
      const line = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (inData) {
        if (line === ".") {
          inData = false;
          mails.push(message);
          message = "";
          socket.write("250 queued\r\n");
        } else {
          message += (line.startsWith(".") ? line.slice(1) : line) + "\n";
        }
      } else if (/^EHLO/i.test(line)) {
        socket.write("250-e2e.test\r\n250 8BITMIME\r\n");
      } else if (/^DATA/i.test(line)) {
        inData = true;
        socket.write("354 go ahead\r\n");
      } else if (/^QUIT/i.test(line)) {
        socket.end("221 bye\r\n");
      } else {
        socket.write("250 ok\r\n");
      }
    }
  });
});
const smtpPort = await new Promise((ok) => smtp.listen(0, "127.0.0.1", () => ok(smtp.address().port)));
// Two intranet pages framing the embed: one on an origin the operator allows, one not.
let base;
function intranet() {
  return createServer((req, res) => {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Intranet</title></head>
<body><main><h1>Team intranet</h1>
<iframe id="events" src="${base}/embed?department=Health%20Canada&lang=en" title="Upcoming events" width="100%" height="500" style="border:0"></iframe>
</main></body></html>`);
  });
}
const allowedIntranet = intranet();
const allowedPort = await listen(allowedIntranet);
const otherIntranet = intranet();
const otherPort = await listen(otherIntranet);

const work = mkdtempSync(join(tmpdir(), "bulletin-e2e-"));
const port = await freePort();
base = `http://127.0.0.1:${port}`;
// A port nothing listens on: a source there fails with "connection refused".
const closedPort = await freePort();

// An Outlook-style calendar of an event held in St. John's tomorrow, with an HTML
// description (X-ALT-DESC), a room and a meeting link (so it is hybrid).
const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10).replaceAll("-", "");
writeFileSync(
  join(work, "atlantic.ics"),
  [
    "BEGIN:VCALENDAR",
    "VERSION:2.0",
    "PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
    "BEGIN:VEVENT",
    "UID:atlantic-data-talk@e2e",
    "DTSTAMP:20261201T120000Z",
    `DTSTART;TZID=America/St_Johns:${tomorrow}T093000`,
    `DTEND;TZID=America/St_Johns:${tomorrow}T103000`,
    "SUMMARY:Atlantic data talk",
    "LOCATION:Room 200\\, 10 Barter's Hill\\, St. John's",
    "DESCRIPTION:Agenda: open data in the Atlantic region. Register at https://events.example.gc.ca/atlantic",
    "X-ALT-DESC;FMTTYPE=text/html:<html><head><style>p{margin:0}</style></head><body><p>Agenda: <b>open data</b> in the Atlantic region.</p><p><a href=\"https://events.example.gc.ca/atlantic\">Register</a></p></body></html>",
    "X-MICROSOFT-SKYPETEAMSMEETINGURL:https://teams.microsoft.com/l/meetup-join/e2e",
    "END:VEVENT",
    "END:VCALENDAR",
    "",
  ].join("\r\n"),
);
writeFileSync(
  join(work, "sources.toml"),
  `[settings]
listen = "127.0.0.1:${port}"
database = "${join(work, "bulletin.db")}"
allow_private_networks = true
event_window_past_days = 400
embed_origins = ["http://127.0.0.1:${allowedPort}"]
base_url = "http://127.0.0.1:${port}"

[digest]
smtp_host = "127.0.0.1"
smtp_port = ${smtpPort}
smtp_security = "none"
from = "Bulletin <bulletin@example.gc.ca>"
allowed_email_domains = ["canada.ca", "gc.ca"]

[[sources]]
id = "sample-calendar"
name = "Data community calendar"
department = "Statistics Canada"
tags = ["community-of-practice"]
file = "${join(root, "fixtures/ics/google-export.ics")}"
timezone = "America/Toronto"

[[sources]]
id = "sample-page"
name = "Departmental events"
department = "Treasury Board Secretariat"
tags = ["learning"]
file = "${join(root, "fixtures/html/drupal-jsonld-graph.html")}"
kind = "html"

[[sources]]
id = "atlantic"
name = "Atlantic federal council"
department = "Atlantic Canada Opportunities Agency / Agence de promotion économique du Canada atlantique"
file = "${join(work, "atlantic.ics")}"

# One department's English and French calendars, paired: each event is one event in
# two languages.
[[sources]]
id = "dept-en"
name = "Departmental events"
department = "Department of Example Services / Ministère des Services d'exemple"
file = "${join(root, "fixtures/bilingual/dept-calendar-en.ics")}"
language = "en"

[[sources]]
id = "dept-fr"
name = "Événements du ministère"
department = "Department of Example Services / Ministère des Services d'exemple"
file = "${join(root, "fixtures/bilingual/dept-calendar-fr.ics")}"
language = "fr"
translation_of = "dept-en"

[[sources]]
id = "broken-feed"
name = "Retired blog"
department = "Health Canada"
url = "http://127.0.0.1:${closedPort}/feed.xml"
`,
);

const server = spawn(binary, ["--config", join(work, "sources.toml"), "serve"], {
  env: { ...process.env, BULLETIN_ADMIN_TOKEN: token, RUST_LOG: "warn" },
  stdio: ["ignore", "inherit", "inherit"],
});
let browser;
let failures = 0;
let passes = 0;

async function check(name, body) {
  try {
    await body();
    passes += 1;
    console.log(`ok - ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`not ok - ${name}\n  ${String(error.stack || error).replaceAll("\n", "\n  ")}`);
  }
}

// Where the first event starts, relative to the top of the window.
async function firstEventTop(page) {
  return await page.locator("li.event").first().evaluate((e) => e.getBoundingClientRect().top);
}

async function accessible(page, label) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const serious = result.violations.filter((v) => ["serious", "critical"].includes(v.impact));
  assert.deepEqual(
    serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`),
    [],
    `${label} has accessibility violations`,
  );
}

try {
  await waitFor(async () => (await fetch(`${base}/healthz`)).ok, "the server");
  await waitFor(async () => (await (await fetch(`${base}/api/events?from=2026-01-01`)).json()).events.length > 0, "the first fetch");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  // The pages forbid scripts (Content-Security-Policy); axe is the test's own script.
  // A common laptop screen's window.
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "en-CA", bypassCSP: true });
  const page = await context.newPage();
  const external = [];
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.hostname !== "127.0.0.1") external.push(request.url());
  });

  await check("the listing shows upcoming events by day", async () => {
    await page.goto(`${base}/?from=2026-01-01`);
    assert.equal(await page.locator("h1").innerText(), "Upcoming events");
    assert.ok((await page.locator("section.day").count()) > 0);
    assert.match(await page.locator("p.count").innerText(), /^\d+ events$/);
    await page.screenshot({ path: join(shots, "listing.png"), fullPage: true });
    await page.screenshot({ path: join(shots, "listing-laptop-fold.png") });
    await accessible(page, "the listing");
  });

  await check("on a laptop the first event is above the fold, the filters folded beside the list", async () => {
    await page.goto(`${base}/?from=2026-01-01`);
    assert.equal(await page.locator("details.filters").getAttribute("open"), null, "filters start folded");
    const top = await firstEventTop(page);
    assert.ok(top < 768 - 80, `the first event starts at ${top}px, below the fold`);
    const filters = await page.locator("details.filters").boundingBox();
    const results = await page.locator("div.results").boundingBox();
    assert.ok(filters.x > results.x + results.width - 1, "the filters sit beside the list on a wide screen");
    await page.click("details.filters > summary");
    assert.ok(await page.locator("#f-department").isVisible(), "the summary opens the filters");
    assert.ok((await firstEventTop(page)) === top, "opening them beside the list does not move it");
    await page.screenshot({ path: join(shots, "listing-filters-open.png") });
    await accessible(page, "the listing with its filters open");
  });

  await check("times carry zone labels, and an event elsewhere shows its own time", async () => {
    await page.goto(`${base}/`);
    const whens = await page.locator("li.event .when").allInnerTexts();
    assert.ok(whens.length > 0);
    for (const when of whens) {
      assert.ok(!/America\/|Europe\//.test(when), `an internal zone name: ${when}`);
      assert.ok(/\b(ET|NT|All day)\b|\d{4}$/.test(when), `no zone label: ${when}`);
    }
    const atlantic = page.locator("li.event", { hasText: "Atlantic data talk" });
    assert.match(
      await atlantic.locator(".when").innerText(),
      /^9:30 am to 10:30 am NT \(8:00 am to 9:00 am ET\)$/,
    );
    assert.match(await atlantic.locator(".where").innerText(), /^Hybrid: Room 200, 10 Barter's Hill, St\. John's$/);
    assert.match(await atlantic.locator(".meta").innerText(), /^Atlantic Canada Opportunities Agency$/);
  });

  await check("quick links give today, this week and next week", async () => {
    await page.goto(`${base}/`);
    const labels = await page.locator("nav.quick a").allInnerTexts();
    assert.deepEqual(labels, ["Today", "This week", "Next week"]);
    await Promise.all([page.waitForURL(/from=\d{4}-\d\d-\d\d&to=/), page.click("nav.quick >> text=This week")]);
    assert.equal(await page.locator("nav.quick a[aria-current=true]").innerText(), "This week");
    await accessible(page, "the listing for this week");
  });

  await check("an event's description is shown as HTML, with its time in both zones", async () => {
    await page.goto(`${base}/?from=2026-01-01&source=atlantic`);
    await page.locator("li.event h3 a", { hasText: "Atlantic data talk" }).click();
    await page.waitForURL(/\/events\//);
    assert.match(await page.locator("dd.when").innerText(), /, 9:30 am to 10:30 am NT \(8:00 am to 9:00 am ET\)$/);
    assert.equal(await page.locator(".description b").innerText(), "open data");
    assert.equal(await page.locator(".description a").getAttribute("href"), "https://events.example.gc.ca/atlantic");
    const text = await page.locator(".description").innerText();
    assert.ok(!/[<>]/.test(text), `raw tags shown: ${text}`);
    assert.equal(await page.locator(".description style, .description script").count(), 0);
    assert.match(await page.locator("#wb-dtmd, dl.modified").innerText(), /Date modified:\s*\d{4}-\d\d-\d\d/);
    await page.screenshot({ path: join(shots, "event-elsewhere.png"), fullPage: true });
    await accessible(page, "an event held in another zone");
    await page.click("text=Français");
    assert.match(await page.locator("dd.when").innerText(), /, 9 h 30 à 10 h 30 HT \(8 h à 9 h HE\)$/);
    assert.match(await page.locator("dd.where").innerText(), /^Hybride\s:/);
    assert.match(await page.locator("dl.modified").innerText(), /Date de modification\s:\s*\d{4}-\d\d-\d\d/);
    await page.screenshot({ path: join(shots, "event-elsewhere-fr.png"), fullPage: true });
    await accessible(page, "an event page in French");
  });

  await check("an event in two languages: each page links the other, in its language", async () => {
    await page.goto(`${base}/?source=dept-en&lang=en`);
    await page.locator("li.event h3 a", { hasText: "Open government town hall" }).click();
    await page.waitForURL(/\/events\/[0-9a-f]+\?lang=en$/);
    const english = page.url();
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    assert.equal(await page.locator("h1").innerText(), "Open government town hall");
    assert.ok([null, "en"].includes(await page.locator("h1").getAttribute("lang")), "in the page's language");
    assert.match(await page.locator(".description").innerText(), /^The Deputy Minister hosts a town hall/);
    const toFrench = page.locator("p.other-version a[lang=fr]").first();
    assert.equal(await toFrench.innerText(), "Assemblée publique sur le gouvernement ouvert");
    assert.equal(await toFrench.getAttribute("hreflang"), "fr");
    assert.equal(await page.locator("p.only-in").count(), 0, "known in both languages");
    await page.screenshot({ path: join(shots, "event-bilingual-en.png"), fullPage: true });
    await accessible(page, "a bilingual event's English page");
    await Promise.all([page.waitForURL(/lang=fr/), toFrench.click()]);
    const french = page.url();
    assert.equal(new URL(french).pathname, new URL(english).pathname, "one event, one page");
    assert.equal(await page.locator("html").getAttribute("lang"), "fr");
    assert.equal(await page.locator("h1").innerText(), "Assemblée publique sur le gouvernement ouvert");
    assert.ok([null, "fr"].includes(await page.locator("h1").getAttribute("lang")), "in the page's language");
    assert.ok([null, "fr"].includes(await page.locator(".description").getAttribute("lang")));
    assert.match(await page.locator(".description").innerText(), /^La sous-ministre tient une assemblée publique/);
    assert.ok(!(await page.locator(".description").innerText()).includes("Deputy Minister"));
    const toEnglish = page.locator("p.other-version a[lang=en]").first();
    assert.equal(await toEnglish.innerText(), "Open government town hall");
    assert.equal(await toEnglish.getAttribute("hreflang"), "en");
    assert.match(await page.locator("dd.when").innerText(), /13 h 30 à 15 h HE$/);
    await page.screenshot({ path: join(shots, "event-bilingual-fr.png"), fullPage: true });
    await accessible(page, "a bilingual event's French page");
    // The header's language switch gives the same: the English version of this page.
    await Promise.all([page.waitForURL(/lang=en/), page.click("p.lang a")]);
    assert.equal(await page.locator("h1").innerText(), "Open government town hall");
    await page.goto(french);
    await Promise.all([page.waitForURL(/lang=en/), toEnglish.click()]);
    assert.equal(await page.locator("html").getAttribute("lang"), "en");
    assert.equal(await page.locator("h1").innerText(), "Open government town hall");
  });

  await check("Google's HTML descriptions are shown as HTML, not as tags", async () => {
    await page.goto(`${base}/?from=2026-01-01&source=sample-calendar&lang=en`);
    await page.locator("li.event h3 a", { hasText: "Data community lunch and learn" }).first().click();
    await page.waitForURL(/\/events\//);
    const text = await page.locator(".description").innerText();
    assert.ok(!text.includes("<br>") && !text.includes("<a "), `raw tags shown: ${text}`);
    assert.ok((await page.locator(".description br").count()) > 0, "line breaks kept");
  });

  await check("a filter narrows the listing and is kept in the URL", async () => {
    await page.goto(`${base}/?from=2026-01-01`);
    await page.click("details.filters > summary");
    await page.selectOption("#f-department", "Treasury Board Secretariat");
    await Promise.all([page.waitForURL(/department=Treasury/), page.click("button[type=submit]")]);
    const titles = await page.locator(".event h3 a").allInnerTexts();
    assert.ok(titles.length > 0 && titles.every((t) => !t.includes("Data community lunch")), titles.join(" | "));
    assert.match(await page.locator("a[href^='webcal://']").first().getAttribute("href"), /department=Treasury/);
  });

  await check("an event page offers add to calendar, and its calendar is a calendar", async () => {
    await page.locator(".event h3 a").first().click();
    await page.waitForURL(/\/events\//);
    await page.screenshot({ path: join(shots, "event.png"), fullPage: true });
    await accessible(page, "an event page");
    const ics = await page.locator("a[download]").getAttribute("href");
    const response = await page.request.get(ics);
    assert.equal(response.headers()["content-type"], "text/calendar; charset=utf-8");
    assert.match(await response.text(), /^BEGIN:VCALENDAR\r\n/);
    const subscribe = await page.locator("section.subscribe a").last().getAttribute("href");
    const calendar = await page.request.get(subscribe);
    assert.match(await calendar.text(), /BEGIN:VEVENT/);
  });

  await check("the page works in French", async () => {
    await page.click("text=Français");
    assert.equal(await page.getAttribute("html", "lang"), "fr");
    await page.goto(`${base}/?lang=fr`);
    assert.match(await page.locator("p.count").innerText(), /^\d+ événements$/);
    assert.deepEqual(await page.locator("nav.quick a").allInnerTexts(), ["Aujourd'hui", "Cette semaine", "La semaine prochaine"]);
    const atlantic = page.locator("li.event", { hasText: "Atlantic data talk" });
    assert.match(await atlantic.locator(".when").innerText(), /^9 h 30 à 10 h 30 HT \(8 h à 9 h HE\)$/);
    assert.match(await atlantic.locator(".meta").innerText(), /^Agence de promotion économique du Canada atlantique$/);
    await page.screenshot({ path: join(shots, "listing-fr.png"), fullPage: true });
    await accessible(page, "the listing in French");
  });

  await check("a source is registered through the form, with a preview", async () => {
    await page.goto(`${base}/sources/new`);
    await accessible(page, "the registration form");
    await page.fill("#f-url", `http://127.0.0.1:${upstreamPort}/team/calendar.ics`);
    await page.fill("#f-name", "Open data team");
    await page.fill("#f-department", "Health Canada");
    await page.fill("#f-tags", "open-data");
    await page.fill("#f-contact", "team@example.gc.ca");
    await page.click("button[value=preview]");
    await page.waitForSelector("section.preview");
    assert.match(await page.locator("section.preview").innerText(), /Open data lunch and learn/);
    await page.screenshot({ path: join(shots, "preview.png"), fullPage: true });
    await page.click("button[value=submit]");
    await page.waitForSelector("[role=status]");
    assert.match(await page.locator("[role=status]").innerText(), /waiting for an administrator/);
  });

  await check("the administrator approves it and its events appear", async () => {
    await page.goto(`${base}/admin`);
    await page.fill("#f-token", token);
    await page.click("button[type=submit]");
    await page.waitForSelector("section.pending");
    await accessible(page, "the moderation page");
    await page.click("section.pending button[value=approve]");
    await page.waitForSelector("[role=status]");
    await waitFor(async () => {
      await page.goto(`${base}/?from=2026-01-01&department=Health%20Canada`);
      return (await page.locator(".event h3 a", { hasText: "Plain language workshop" }).count()) > 0;
    }, "the approved source's events");
  });

  await check("an organiser submits an event without a website, with a preview", async () => {
    const day = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString().slice(0, 10);
    await page.goto(`${base}/submit-event?lang=en`);
    await accessible(page, "the submission form");
    await page.click("button[value=submit]");
    await page.waitForSelector("#error-summary");
    assert.ok((await page.locator(".error-message").count()) > 1, "errors beside the fields");
    await accessible(page, "the submission form with errors");
    await page.fill("#f-title_en", "E2E community of practice");
    await page.fill("#f-title_fr", "Communauté de pratique E2E");
    await page.fill("#f-description_en", "Bring your questions.");
    await page.fill("#f-start_date", day);
    await page.fill("#f-start_time", "12:00");
    await page.fill("#f-end_time", "13:00");
    await page.selectOption("#f-timezone", "America/Toronto");
    await page.fill("#f-place", "Room 5, 70 Colombine Dr");
    await page.fill("#f-department", "Health Canada");
    await page.fill("#f-tags", "community-of-practice");
    await page.fill("#f-contact", "organiser@example.gc.ca");
    await page.click("button[value=preview]");
    await page.waitForSelector("section.preview");
    assert.match(await page.locator("section.preview").innerText(), /12:00 pm to 1:00 pm ET/);
    await page.screenshot({ path: join(shots, "submit-preview.png"), fullPage: true });
    await page.click("button[value=submit]");
    await page.waitForSelector("#private-link");
    assert.match(await page.locator("[role=status]").first().innerText(), /waiting for an administrator/);
    assert.match(await page.locator("#private-link").inputValue(), /\/submit-event\/[0-9a-f]{64}/);
    await accessible(page, "the submission's thanks and private link");
  });

  await check("the administrator approves the submitted event and it is listed", async () => {
    await page.goto(`${base}/admin?lang=en`);
    const pending = page.locator("section.pending", { hasText: "E2E community of practice" });
    await accessible(page, "the moderation page with a submitted event");
    await pending.locator("button[value=approve]").click();
    await page.waitForSelector("[role=status]");
    assert.match(await page.locator("[role=status]").innerText(), /Approved and listed/);
    await page.goto(`${base}/?department=Health%20Canada&lang=en`);
    const listed = page.locator("li.event", { hasText: "E2E community of practice" });
    assert.equal(await listed.count(), 1);
    assert.match(await listed.locator(".when").innerText(), /^12:00 pm to 1:00 pm ET$/);
    await page.goto(`${base}/?department=Health%20Canada&lang=fr`);
    assert.equal(await page.locator("li.event", { hasText: "Communauté de pratique E2E" }).count(), 1);
  });

  await check("the embed shows it on an allowed intranet page, and another site cannot frame it", async () => {
    await page.goto(`${base}/embed?department=Health%20Canada&lang=en`);
    await accessible(page, "the embed");
    await page.goto(`${base}/embed?department=Health%20Canada&lang=fr&theme=dark`);
    await accessible(page, "the embed in French, dark");
    await page.screenshot({ path: join(shots, "embed-dark-fr.png") });
    // A context that enforces the Content-Security-Policy, as every browser does.
    const strict = await browser.newContext({ viewport: { width: 1024, height: 700 } });
    const intranetPage = await strict.newPage();
    const blocked = [];
    intranetPage.on("console", (m) => { if (/frame-ancestors/.test(m.text())) blocked.push(m.text()); });
    await intranetPage.goto(`http://127.0.0.1:${allowedPort}/`);
    const allowedFrame = await (await intranetPage.waitForSelector("#events")).contentFrame();
    await allowedFrame.waitForSelector(".bulletin-embed");
    const link = allowedFrame.locator("a.embed-title", { hasText: "E2E community of practice" });
    assert.equal(await link.count(), 1);
    assert.equal(await link.getAttribute("target"), "_blank");
    assert.match(await allowedFrame.locator(".embed-when").first().innerText(), / ET$/);
    assert.equal(await allowedFrame.locator("script").count(), 0);
    await intranetPage.screenshot({ path: join(shots, "embed-intranet.png") });
    await intranetPage.goto(`http://127.0.0.1:${otherPort}/`);
    const otherFrame = await (await intranetPage.waitForSelector("#events")).contentFrame();
    await intranetPage.waitForTimeout(500);
    let shown = false;
    try {
      shown = otherFrame ? (await otherFrame.locator(".bulletin-embed").count()) > 0 : false;
    } catch {}
    assert.equal(shown, false, "a site not in embed_origins cannot show the embed");
    assert.ok(blocked.length > 0, "the browser reports the frame-ancestors refusal");
    await strict.close();
  });

  await check("the sources page shows every source's health, and what went wrong in plain words", async () => {
    await page.goto(`${base}/sources`);
    assert.match(await page.locator("table").innerText(), /Open data team/);
    assert.match(await page.locator(".sources-summary").innerText(), /^1 of 7 sources failing$/);
    const broken = page.locator("#source-broken-feed");
    assert.match(await broken.locator(".problem").innerText(), /^The server 127\.0\.0\.1 refused the connection\.$/);
    assert.match(await broken.locator(".detail").innerText(), /Connection refused/);
    assert.match(await page.locator("#source-atlantic").innerText(), /Calendar \(detected\)/);
    for (const cell of await page.locator("td.date").all()) {
      // The lines a cell's text takes: the distinct tops of its text's boxes.
      const lines = await cell.evaluate((e) => {
        const range = document.createRange();
        range.selectNodeContents(e);
        return new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top))).size;
      });
      assert.ok(lines <= 1, `a date wraps: ${await cell.innerText()}`);
    }
    await page.screenshot({ path: join(shots, "sources.png"), fullPage: true });
    await accessible(page, "the sources page");
    await page.goto(`${base}/sources?lang=fr`);
    assert.match(await page.locator(".sources-summary").innerText(), /^1 source sur 7 en échec$/);
    assert.match(await page.locator("#source-broken-feed .problem").innerText(), /^Le serveur 127\.0\.0\.1 a refusé la connexion\.$/);
    await page.screenshot({ path: join(shots, "sources-fr.png"), fullPage: true });
    await accessible(page, "the sources page in French");
  });

  await check("pages work on a phone", async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true, bypassCSP: true });
    const policy = (await phone.request.get(`${base}/`)).headers()["content-security-policy"];
    assert.match(policy, /script-src 'none'/);
    await phone.goto(`${base}/?from=2026-01-01`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - 375);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
    assert.equal(await phone.locator("details.filters").getAttribute("open"), null, "filters start folded");
    const top = await firstEventTop(phone);
    assert.ok(top < 740 - 60, `the first event starts at ${top}px, below the phone's fold`);
    assert.ok(await phone.locator("nav.quick").isVisible(), "the quick date links are in view");
    await phone.screenshot({ path: join(shots, "listing-phone.png"), fullPage: true });
    await phone.screenshot({ path: join(shots, "listing-phone-fold.png") });
    await phone.click("details.filters > summary");
    assert.ok(await phone.locator("#f-department").isVisible());
    await phone.screenshot({ path: join(shots, "listing-phone-filters.png") });
    await accessible(phone, "the listing on a phone with its filters open");
    await phone.goto(`${base}/?from=2026-01-01&source=atlantic&lang=fr`);
    await phone.locator("li.event h3 a").first().click();
    await phone.waitForURL(/\/events\//);
    const eventOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - 375);
    assert.ok(eventOverflow <= 1, `the event page is ${eventOverflow}px wider than the phone`);
    await phone.screenshot({ path: join(shots, "event-phone-fr.png"), fullPage: true });
    await accessible(phone, "an event page on a phone");
    await phone.close();
  });

  await check("the weekly digest: the listing's form, double opt-in, and /digest in both languages", async () => {
    await page.goto(`${base}/?source=atlantic&lang=en`);
    const form = page.locator("form.digest-subscribe");
    assert.ok(await form.isVisible(), "the subscription form is on the listing");
    assert.equal(await form.locator("input[name=source]").getAttribute("value"), "atlantic");
    await page.fill("#digest-email", "someone@example.com");
    await form.locator("button[type=submit]").click();
    await page.waitForLoadState();
    assert.match(await page.locator(".error-message").innerText(), /canada\.ca, gc\.ca/);
    assert.equal(await page.getAttribute("#digest-email", "aria-invalid"), "true");
    await accessible(page, "the subscription form with an error");
    await page.fill("#digest-email", "ana@hc-sc.gc.ca");
    await page.locator("form.digest-subscribe button[type=submit]").click();
    await page.waitForLoadState();
    assert.match(await page.locator("h1").innerText(), /Check your email/);
    await accessible(page, "the page after subscribing");
    await waitFor(async () => mails.length > 0, "the confirmation email", 10);
    const confirm = mails.at(-1).replaceAll("=\n", "").match(/http:\/\/127\.0\.0\.1:\d+\/digest\/confirm\?token=3D([0-9a-f]{64})|http:\/\/127\.0\.0\.1:\d+\/digest\/confirm\?token=([0-9a-f]{64})/);
    assert.ok(confirm, `a confirmation link in ${mails.at(-1)}`);
    await page.goto(`${base}/digest/confirm?token=${confirm[1] || confirm[2]}`);
    await accessible(page, "the confirmation page");
    await page.locator("main form button[type=submit]").click();
    await page.waitForLoadState();
    assert.match(await page.locator("main").innerText(), /You are subscribed/);
    await page.screenshot({ path: join(shots, "digest-confirmed.png"), fullPage: true });

    await page.goto(`${base}/digest?source=atlantic&lang=en`);
    assert.match(await page.locator("h1").innerText(), /What’s on across government/);
    assert.ok(await page.locator("form.digest-subscribe").isVisible(), "the digest page offers the form too");
    await page.screenshot({ path: join(shots, "digest.png"), fullPage: true });
    await accessible(page, "the digest page");
    await page.emulateMedia({ media: "print" });
    assert.equal(await page.locator("header.site nav").isVisible(), false, "printed without the site's navigation");
    await page.screenshot({ path: join(shots, "digest-print.png"), fullPage: true });
    await page.emulateMedia({ media: "screen" });
    await page.goto(`${base}/digest?lang=fr`);
    assert.match(await page.locator("h1").innerText(), /À l’affiche/);
    await page.screenshot({ path: join(shots, "digest-fr.png"), fullPage: true });
    await accessible(page, "the digest page in French");
    await page.goto(`${base}/?lang=fr`);
    assert.match(await page.locator("#digest-subscribe-title").innerText(), /Recevoir ces événements par courriel/);
    await accessible(page, "the listing with its subscription form, in French");
    const rss = await (await fetch(`${base}/digest.rss?lang=fr`)).text();
    assert.match(rss, /<rss/);
  });

  await check("nothing was loaded from another server", async () => {
    assert.deepEqual(external, []);
  });
} catch (error) {
  failures += 1;
  console.log(`not ok - setup\n  ${error.stack || error}`);
} finally {
  if (browser) await browser.close();
  server.kill("SIGTERM");
  upstream.close();
  smtp.close();
  allowedIntranet.close();
  otherIntranet.close();
}
console.log(`screenshots in ${shots}`);
console.log(`e2e: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
