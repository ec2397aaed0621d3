//! A calendar's VEVENTs grouped into series and expanded, with the semantics of the
//! reference reader (python recurring_ical_events):
//!
//! - Components sharing a UID form a series: the one without RECURRENCE-ID and the
//!   highest SEQUENCE is its core; the others are modifications, keyed by their
//!   RECURRENCE-ID (two of one occurrence: the higher SEQUENCE wins).
//! - The core's occurrences are DTSTART (unless after every rule's UNTIL), each RRULE's
//!   (a union), and the RDATEs (a PERIOD gives its own end); EXDATEs remove the
//!   occurrences they name — by UTC or local reading, or every occurrence on a date
//!   they give as DATE.
//! - An occurrence a modification names is that modification; otherwise it takes its
//!   fields from the latest RANGE=THISANDFUTURE modification before it (shifted by that
//!   modification's move, with its length), else from the core. A modification no
//!   occurrence names stands on its own.
//!
//! Occurrences of a series are kept when they start inside the window; an event that
//! does not recur is kept whenever it is.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, TimeDelta};

use super::when::{Clock, When};
use crate::budget::Budget;
use crate::extract::ical::IcalEvent;
use crate::normalise::recurrence::{self, Rule};
use crate::normalise::zones::Zone;

/// One VEVENT with its times read.
pub struct Component<'a> {
    pub event: &'a IcalEvent,
    pub start: When,
    pub end: When,
    pub recurrence_id: Option<When>,
    /// RDATE values (a PERIOD's start), read.
    pub rdates: Vec<When>,
    /// RDATE periods: their start and length.
    pub periods: Vec<(When, TimeDelta)>,
    pub exdates: Vec<When>,
}

impl Component<'_> {
    fn sequence(&self) -> i64 {
        self.event.sequence.unwrap_or(-1)
    }

    fn length(&self, floating: &Zone) -> TimeDelta {
        self.end.since(&self.start, floating).unwrap_or_default()
    }

    /// How far a THISANDFUTURE modification moves the occurrences it governs.
    fn moves_by(&self, floating: &Zone) -> TimeDelta {
        match (&self.recurrence_id, self.event.this_and_future) {
            (Some(original), true) => self.start.since(original, floating).unwrap_or_default(),
            _ => TimeDelta::zero(),
        }
    }
}

/// One occurrence: the component that describes it, when it starts and ends, and the
/// original start of its slot (`None` for an event that does not recur).
pub struct Occurrence<'c, 'a> {
    pub component: &'c Component<'a>,
    pub start: When,
    pub end: When,
    pub slot: Option<When>,
}

/// How a series is read: the window (local and instant), caps and budget.
pub struct Reading<'x> {
    pub floating: &'x Zone,
    pub from: chrono::DateTime<chrono::Utc>,
    pub to: chrono::DateTime<chrono::Utc>,
    pub max_per_series: usize,
    pub budget: &'x mut Budget,
    pub warnings: &'x mut Vec<String>,
}

/// Groups components by UID, keeping file order for the output.
pub fn group<'c, 'a>(components: &'c [Component<'a>]) -> Vec<Vec<&'c Component<'a>>> {
    let mut order: Vec<Vec<&Component>> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for component in components {
        match component.event.uid.as_deref() {
            Some(uid) => match index.get(uid) {
                Some(&i) => order[i].push(component),
                None => {
                    index.insert(uid, order.len());
                    order.push(vec![component]);
                }
            },
            None => order.push(vec![component]),
        }
    }
    order
}

/// The occurrences of one series inside the window.
pub fn occurrences<'c, 'a>(
    series: &[&'c Component<'a>],
    reading: &mut Reading<'_>,
) -> Vec<Occurrence<'c, 'a>> {
    let floating = reading.floating;
    let mut core: Option<&Component> = None;
    let mut modifications: Vec<(Vec<NaiveDateTime>, &Component)> = Vec::new();
    for &component in series {
        match &component.recurrence_id {
            None => {
                if core.is_none_or(|c| component.sequence() > c.sequence()) {
                    core = Some(component);
                }
            }
            Some(id) => {
                let ids = id.ids(floating);
                match modifications
                    .iter_mut()
                    .find(|(known, _)| known.iter().any(|k| ids.contains(k)))
                {
                    Some(entry) if component.sequence() > entry.1.sequence() => {
                        *entry = (ids, component)
                    }
                    Some(_) => {}
                    None => modifications.push((ids, component)),
                }
            }
        }
    }
    let mut out = Vec::new();
    let mut used: HashSet<usize> = HashSet::new();
    let mut exdates = Exdates::default();
    if let Some(core) = core {
        let recurring = !core.event.rrules.is_empty() || !core.event.rdates.is_empty();
        if !recurring {
            out.push(Occurrence {
                component: core,
                start: core.start.clone(),
                end: core.end.clone(),
                slot: None,
            });
            used.extend(
                modifications
                    .iter()
                    .enumerate()
                    .filter(|(_, (ids, _))| {
                        core.start.ids(floating).iter().any(|i| ids.contains(i))
                    })
                    .map(|(i, _)| i),
            );
            // A single event's own overrides of itself replace it.
            if let Some(&index) = used.iter().next() {
                let over = modifications[index].1;
                out[0] = Occurrence {
                    component: over,
                    start: over.start.clone(),
                    end: over.end.clone(),
                    slot: None,
                };
            }
        } else {
            exdates = Exdates::of(core, floating);
            let this_and_future: Vec<(NaiveDateTime, &Component)> = {
                let mut list: Vec<_> = modifications
                    .iter()
                    .filter(|(_, m)| m.event.this_and_future)
                    .filter_map(|(ids, m)| ids.first().map(|id| (*id, *m)))
                    .collect();
                list.sort_by_key(|(id, _)| *id);
                list
            };
            let margin = this_and_future
                .iter()
                .map(|(_, m)| m.moves_by(floating).abs())
                .max()
                .unwrap_or_default();
            let starts = expand_core(core, margin, reading);
            let periods: HashMap<NaiveDateTime, TimeDelta> = core
                .periods
                .iter()
                .flat_map(|(start, length)| {
                    start.ids(floating).into_iter().map(move |id| (id, *length))
                })
                .collect();
            let mut seen: HashSet<NaiveDateTime> = HashSet::new();
            for start in starts {
                let ids = start.ids(floating);
                if !seen.insert(*ids.first().unwrap_or(&NaiveDateTime::MIN))
                    || exdates.excludes(&start, &ids)
                {
                    continue;
                }
                if let Some(index) = modifications
                    .iter()
                    .position(|(known, _)| known.iter().any(|k| ids.contains(k)))
                {
                    if used.insert(index) {
                        let over = modifications[index].1;
                        out.push(Occurrence {
                            component: over,
                            start: over.start.clone(),
                            end: over.end.clone(),
                            slot: over.recurrence_id.clone(),
                        });
                    }
                    continue;
                }
                let base = this_and_future
                    .iter()
                    .rev()
                    .find(|(id, _)| *id < ids[0])
                    .map_or(core, |(_, m)| *m);
                let Some(moved) = start.plus(base.moves_by(floating)) else {
                    continue;
                };
                let length = ids
                    .iter()
                    .find_map(|id| periods.get(id).copied())
                    .unwrap_or_else(|| base.length(floating));
                let Some(end) = moved.plus(length) else {
                    continue;
                };
                out.push(Occurrence {
                    component: base,
                    start: moved,
                    end,
                    slot: Some(start),
                });
            }
        }
    }
    for (index, (ids, over)) in modifications.iter().enumerate() {
        if used.contains(&index) || (core.is_some() && exdates.excludes_ids(ids)) {
            continue;
        }
        // An out-of-date modification that carries rules of its own, for a slot its
        // series no longer has, is dropped (recurring_ical_events issues 148, 164, 253).
        let has_rules = !over.event.rrules.is_empty()
            || !over.event.rdates.is_empty()
            || !over.event.exdates.is_empty();
        if has_rules && core.is_some_and(|c| over.sequence() < c.sequence()) {
            continue;
        }
        out.push(Occurrence {
            component: over,
            start: over.start.clone(),
            end: over.end.clone(),
            slot: over.recurrence_id.clone(),
        });
    }
    // A single event is kept whenever it is (past events are the archive); the window
    // bounds the occurrences of series.
    out.retain(|o| {
        o.slot.is_none()
            || o.start
                .instant(floating)
                .is_some_and(|at| at >= reading.from && at < reading.to)
    });
    out
}

/// The core's occurrence starts (before any move) near the window, ascending.
fn expand_core(core: &Component, margin: TimeDelta, reading: &mut Reading<'_>) -> Vec<When> {
    let floating = reading.floating;
    let clock = match &core.start {
        When::At { clock, .. } => Some(clock.clone()),
        When::Date(_) => None,
    };
    let dates = core.start.is_date() && core.end.is_date() && core.rdates.iter().all(When::is_date);
    let to_local = |at: chrono::DateTime<chrono::Utc>| match &clock {
        None | Some(Clock::Floating) => floating.to_local(at),
        Some(Clock::Utc) => at.naive_utc(),
        Some(Clock::Zoned(zone)) => zone.to_local(at),
    };
    // Slots moved by a THISANDFUTURE change may land in the window from outside it; an
    // hour more covers readings either side of a clock change.
    let slack = TimeDelta::hours(1);
    let (Some(count_from), Some(to)) = (
        to_local(reading.from).checked_sub_signed(margin),
        to_local(reading.to).checked_add_signed(margin + slack),
    ) else {
        return Vec::new();
    };
    let from = count_from.checked_sub_signed(slack).unwrap_or(count_from);
    let bounds = recurrence::Bounds {
        from,
        to,
        count_from,
        max: reading.max_per_series,
    };
    let Some(start) = core.start.local() else {
        return Vec::new();
    };
    let make = |local: NaiveDateTime| -> When {
        if dates {
            When::Date(local.date())
        } else {
            When::At {
                local,
                clock: clock.clone().unwrap_or(Clock::Floating),
            }
        }
    };
    let mut starts: Vec<NaiveDateTime> = Vec::new();
    let mut last_until: Option<NaiveDateTime> = None;
    for text in &core.event.rrules {
        let rule = match Rule::parse(text) {
            Ok(rule) => rule,
            Err(error) => {
                reading.warnings.push(format!(
                    "{}: RRULE not understood ({error}); its occurrences are left out",
                    core.event.label()
                ));
                continue;
            }
        };
        let until = rule
            .until_text
            .as_deref()
            .and_then(|text| until_local(text, dates, clock.as_ref()));
        if let Some(until) = until {
            last_until = Some(last_until.map_or(until, |u| u.max(until)));
        }
        let expansion = recurrence::expand(&rule, start, until, bounds, reading.budget);
        if let Some(cut) = expansion.cut {
            reading
                .warnings
                .push(format!("{}: {cut}", core.event.label()));
        }
        starts.extend(expansion.starts);
    }
    if last_until.is_none_or(|until| start <= until) && start >= from && start <= to {
        starts.push(start);
    }
    for when in &core.rdates {
        let on_series_clock = match &clock {
            Some(clock) if !dates => when.on_clock(clock, floating),
            _ => Some(when.clone()),
        };
        if let Some(local) = on_series_clock.and_then(|w| w.local())
            && local >= from
            && local <= to
        {
            starts.push(local);
        }
    }
    starts.sort_unstable();
    starts.dedup();
    let before = starts.partition_point(|s| *s < count_from);
    if starts.len() - before > reading.max_per_series {
        reading.warnings.push(format!(
            "{}: more than {} occurrences in the window; the first {} are kept",
            core.event.label(),
            reading.max_per_series,
            reading.max_per_series
        ));
        starts.truncate(before + reading.max_per_series);
    }
    starts.into_iter().map(make).collect()
}

/// What a rule's UNTIL means on the series' clock, as the reference reads it: for a
/// series of dates, its date; on a zoned clock, a UTC time (a local or date UNTIL is
/// read as UTC, midnight for a date); on a floating clock, a local time (a `Z` ignored).
fn until_local(text: &str, dates: bool, clock: Option<&Clock>) -> Option<NaiveDateTime> {
    use crate::extract::ical::IcalTime;
    let naive = match crate::extract::ical::values::time(text, false, None)? {
        IcalTime::Date(date) => date.and_hms_opt(0, 0, 0)?,
        IcalTime::Utc(time) | IcalTime::Local { time, .. } => time,
    };
    if dates {
        return naive.date().and_hms_opt(0, 0, 0);
    }
    Some(match clock {
        Some(Clock::Zoned(zone)) => zone.to_local(naive.and_utc()),
        None | Some(Clock::Floating) | Some(Clock::Utc) => naive,
    })
}

/// The EXDATEs of a series: ids they name, and dates given as DATE.
#[derive(Default)]
struct Exdates {
    ids: HashSet<NaiveDateTime>,
    dates: HashSet<chrono::NaiveDate>,
}

impl Exdates {
    fn of(core: &Component, floating: &Zone) -> Exdates {
        let mut out = Exdates::default();
        for when in &core.exdates {
            if let When::Date(date) = when {
                out.dates.insert(*date);
            }
            out.ids.extend(when.ids(floating));
        }
        out
    }

    fn excludes(&self, start: &When, ids: &[NaiveDateTime]) -> bool {
        start.date().is_some_and(|d| self.dates.contains(&d)) || self.excludes_ids(ids)
    }

    fn excludes_ids(&self, ids: &[NaiveDateTime]) -> bool {
        ids.iter().any(|id| self.ids.contains(id))
    }
}
