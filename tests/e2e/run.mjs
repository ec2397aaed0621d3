// End-to-end test of Bulletin in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser download). It starts the real `bulletin serve` on loopback
// with a seeded sources file, then as a person would: loads the listing, applies a filter,
// opens an event, follows its calendar link, registers a source through the form with a
// preview, approves it as the administrator, and sees its events appear. Every page is
// checked with axe-core for accessibility problems; screenshots go to ../../screenshots/.
// Nothing here leaves 127.0.0.1.

import { spawn } from "node:child_process";
import { createServer } from "node:http";
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

const work = mkdtempSync(join(tmpdir(), "bulletin-e2e-"));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
writeFileSync(
  join(work, "sources.toml"),
  `[settings]
listen = "127.0.0.1:${port}"
database = "${join(work, "bulletin.db")}"
allow_private_networks = true
event_window_past_days = 400

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
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, locale: "en-CA", bypassCSP: true });
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
    await page.screenshot({ path: join(shots, "listing.png"), fullPage: true });
    await accessible(page, "the listing");
  });

  await check("a filter narrows the listing and is kept in the URL", async () => {
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

  await check("the sources page shows every source's health", async () => {
    await page.goto(`${base}/sources`);
    assert.match(await page.locator("table").innerText(), /Open data team/);
    await accessible(page, "the sources page");
  });

  await check("pages work on a phone", async () => {
    const phone = await browser.newPage({ viewport: { width: 375, height: 740 }, isMobile: true });
    const policy = (await phone.request.get(`${base}/`)).headers()["content-security-policy"];
    assert.match(policy, /script-src 'none'/);
    await phone.goto(`${base}/?from=2026-01-01`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the page is ${overflow}px wider than the phone`);
    await phone.screenshot({ path: join(shots, "listing-phone.png"), fullPage: true });
    await phone.close();
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
}
console.log(`screenshots in ${shots}`);
console.log(`e2e: ${passes} passed, ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
