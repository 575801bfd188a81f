//! What customers tell us about articles: helpfulness votes, effort ratings, reasons
//! and comments, and the per-day view and escalation counts they are measured against.
//!
//! This module holds the vocabulary (votes, reasons, scales, arrivals), the rules for
//! what a customer may send ([`validate`]), and the metrics computed from stored rows
//! ([`metrics`]). It knows neither HTTP nor SQL: [`FeedbackStore`] is the narrow
//! interface storage engines implement (SQLite in `crate::store`).

pub mod learning;
pub mod live;
pub mod metrics;

use std::fmt;

use anyhow::Result;

/// Longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// Why an article did not help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    Inaccurate,
    Outdated,
    HardToFollow,
    DidNotAnswer,
    MissingSteps,
}

impl Reason {
    /// Every reason, in the order the form shows them.
    pub const ALL: [Reason; 5] =
        [Reason::DidNotAnswer, Reason::MissingSteps, Reason::HardToFollow, Reason::Outdated, Reason::Inaccurate];

    /// The value stored and sent by forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Inaccurate => "inaccurate",
            Reason::Outdated => "outdated",
            Reason::HardToFollow => "hard-to-follow",
            Reason::DidNotAnswer => "did-not-answer",
            Reason::MissingSteps => "missing-steps",
        }
    }

    /// What the customer reads.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Inaccurate => "The information is wrong",
            Reason::Outdated => "It is out of date",
            Reason::HardToFollow => "It is hard to follow",
            Reason::DidNotAnswer => "It did not answer my question",
            Reason::MissingSteps => "Steps are missing",
        }
    }

    pub fn parse(value: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.as_str() == value)
    }
}

/// How the reader reached the article.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arrival {
    /// From a result of this help center's search.
    Search,
    /// From another page of this help center.
    Browse,
    /// From elsewhere, a bookmark or a typed address.
    Direct,
}

impl Arrival {
    pub const ALL: [Arrival; 3] = [Arrival::Search, Arrival::Browse, Arrival::Direct];

    pub fn as_str(self) -> &'static str {
        match self {
            Arrival::Search => "search",
            Arrival::Browse => "browse",
            Arrival::Direct => "direct",
        }
    }

    pub fn parse(value: &str) -> Option<Arrival> {
        Arrival::ALL.into_iter().find(|a| a.as_str() == value)
    }
}

/// A Customer Effort Score scale: `points` answers, 1 = very easy when `low_is_easy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EffortScale {
    pub points: u8,
    pub low_is_easy: bool,
}

impl EffortScale {
    /// The configured scale; 5 and 7 points are supported.
    pub fn new(points: u8) -> Result<Self, String> {
        match points {
            5 | 7 => Ok(Self { points, low_is_easy: true }),
            other => Err(format!("effort scale must have 5 or 7 points, not {other}")),
        }
    }

    /// The rating on a 0..=1 line where 0 is easiest, whatever the scale.
    pub fn difficulty(self, rating: u8) -> f64 {
        let position = f64::from(rating.saturating_sub(1)) / f64::from(self.points - 1);
        if self.low_is_easy {
            position
        } else {
            1.0 - position
        }
    }

    /// `rating` re-expressed on `target` (same position on the easy–difficult line).
    pub fn convert(self, rating: u8, target: EffortScale) -> f64 {
        let difficulty = self.difficulty(rating);
        let position = if target.low_is_easy { difficulty } else { 1.0 - difficulty };
        1.0 + position * f64::from(target.points - 1)
    }

    /// Easy answers: 1–3 on 7 points, 1–2 on 5 (mirrored when high is easy).
    pub fn is_easy(self, rating: u8) -> bool {
        self.band(rating) == Band::Easy
    }

    /// Difficult answers: 5–7 on 7 points, 4–5 on 5.
    pub fn is_difficult(self, rating: u8) -> bool {
        self.band(rating) == Band::Difficult
    }

    fn band(self, rating: u8) -> Band {
        let from_easy_end = if self.low_is_easy { rating } else { self.points + 1 - rating };
        let easy_top = self.points / 2; // 3 of 7, 2 of 5
        if from_easy_end <= easy_top {
            Band::Easy
        } else if from_easy_end > self.points - easy_top {
            Band::Difficult
        } else {
            Band::Neutral
        }
    }

    /// Words for the two ends, for the form: difficulty on a low-is-easy scale,
    /// agreement (CES 2.0) on a high-is-easy one.
    pub fn end_labels(self) -> (&'static str, &'static str) {
        if self.low_is_easy {
            ("Very easy", "Very difficult")
        } else {
            ("Strongly disagree", "Strongly agree")
        }
    }

    /// The question asked on this scale.
    pub fn question(self, noun: &str) -> String {
        if self.low_is_easy {
            // Asked after "Yes" and after "No" alike: about using the page, not about
            // whether the problem was solved.
            format!("How easy was this {noun} to use?")
        } else {
            "The help center made it easy for me to handle my issue.".to_string()
        }
    }
}

#[derive(PartialEq)]
enum Band {
    Easy,
    Neutral,
    Difficult,
}

/// Identifies an article or one FAQ question: `<slug>` or `<faq slug>#<anchor>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PageKey(pub String);

impl fmt::Display for PageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated vote from the public form.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteInput {
    pub page: PageKey,
    /// Anonymous visitor id (a keyed hash, never a raw IP or cookie).
    pub visitor: String,
    pub helpful: bool,
    /// Hash of the article's source when the vote was cast.
    pub revision: String,
    pub arrival: Arrival,
    /// The logged search that led here, when the reader came from one.
    pub search_id: Option<i64>,
    pub at: i64,
}

/// The optional second step after a vote.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FollowUp {
    pub effort: Option<u8>,
    /// Satisfaction 1–5, when the site asks the optional CSAT question.
    pub csat: Option<u8>,
    pub scale: Option<EffortScale>,
    pub reasons: Vec<Reason>,
    pub comment: Option<String>,
}

/// A vote as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteRow {
    pub id: i64,
    pub page: String,
    pub helpful: bool,
    /// Satisfaction 1–5 (the optional CSAT question).
    pub csat: Option<u8>,
    pub effort: Option<u8>,
    pub scale: EffortScale,
    pub reasons: Vec<Reason>,
    pub comment: Option<String>,
    pub revision: String,
    pub arrival: Arrival,
    pub search_id: Option<i64>,
    /// Unix seconds of the latest change.
    pub at: i64,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}

/// One answer in a page's history: a vote (`helpful`) or a follow-up (`effort`),
/// with the revision of the page it was about.
#[derive(Debug, Clone, PartialEq)]
pub struct VoteEvent {
    /// Keyed hash of the reader's cookie.
    pub visitor: String,
    pub revision: String,
    pub at: i64,
    pub helpful: Option<bool>,
    pub effort: Option<(u8, EffortScale)>,
}

/// Votes on one page in `[from, to)` that staff excluded from the metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExcludedWindow {
    pub id: i64,
    pub page: String,
    pub from: i64,
    pub to: i64,
    pub by: String,
    pub at: i64,
}

impl ExcludedWindow {
    /// Whether `vote` falls in this window.
    pub fn covers(&self, vote: &VoteRow) -> bool {
        vote.page == self.page && (self.from..self.to).contains(&vote.at)
    }
}

/// Views and escalations of one page on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCounts {
    pub page: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub views: u64,
    pub escalations: u64,
    /// Distinct readers who viewed the page that day (a reader is counted again after
    /// a server restart on the same day).
    pub readers: u64,
}

/// One logged search, with what became of it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchOutcome {
    pub id: i64,
    pub at: i64,
    pub query: String,
    pub normalized: String,
    pub result_count: u64,
    /// Page key of the clicked result.
    pub clicked: Option<String>,
}

/// Which page counter to bump.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    View,
    Escalation,
    /// A reader's first view of the page that day (unique readers per page and day).
    Reader,
}

/// Counter increments for one page and day, as the background writer stores them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountIncrement {
    pub page: String,
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub views: u64,
    pub escalations: u64,
    pub readers: u64,
}

/// Storage of feedback: what an engine must offer. Every method blocks.
pub trait FeedbackStore: Send + Sync {
    /// Records or replaces the visitor's vote on a page; returns the vote id.
    fn cast_vote(&self, vote: &VoteInput) -> Result<i64>;
    /// Adds effort, reasons and comment to vote `vote`; false when there is no such vote.
    fn follow_up(&self, vote: i64, follow_up: &FollowUp, at: i64) -> Result<bool>;
    /// Adds one to today's counter of `page`.
    fn count(&self, page: &PageKey, counter: Counter, day: i64) -> Result<()>;
    /// (helpful, total) current votes of a page, for the public count.
    fn vote_counts(&self, page: &PageKey) -> Result<(u64, u64)>;
    /// Votes changed in `[from, to)` (unix seconds).
    fn votes_between(&self, from: i64, to: i64) -> Result<Vec<VoteRow>>;
    /// Daily counters for days in `[from_day, to_day)`.
    fn counts_between(&self, from_day: i64, to_day: i64) -> Result<Vec<DailyCounts>>;
    /// Searches in `[from, to)`.
    fn searches_between(&self, from: i64, to: i64) -> Result<Vec<SearchOutcome>>;
    /// Marks an inbox item resolved (or open again).
    fn set_resolved(&self, vote: i64, by: Option<&str>, at: i64) -> Result<bool>;
    /// Deletes comments older than `before` (unix seconds); returns how many.
    fn purge_comments(&self, before: i64) -> Result<usize>;
    /// Votes cast after opening a result of a logged search for the same page, since
    /// `since` (unix seconds): the evidence search learns from.
    fn search_outcomes(&self, since: i64) -> Result<Vec<learning::Outcome>>;
    /// Staff decisions on learned pairings: (normalized query, page, decision).
    fn learned_overrides(&self) -> Result<Vec<(String, String, learning::Override)>>;
    /// Pins or removes a pairing, or (with `None`) returns it to the evidence.
    fn set_learned_override(
        &self,
        normalized: &str,
        page: &str,
        decision: Option<learning::Override>,
        by: &str,
        at: i64,
    ) -> Result<()>;
}

/// Checks an effort answer against the scale; the error says what is accepted.
pub fn validate_effort(value: &str, scale: EffortScale) -> Result<u8, String> {
    let accepted = || format!("effort must be a whole number from 1 to {}", scale.points);
    let rating: u8 = value.trim().parse().map_err(|_| accepted())?;
    if (1..=scale.points).contains(&rating) {
        Ok(rating)
    } else {
        Err(accepted())
    }
}

/// Checks a satisfaction answer (1–5).
pub fn validate_csat(value: &str) -> Result<u8, String> {
    let accepted = || "satisfaction must be a whole number from 1 to 5".to_string();
    let rating: u8 = value.trim().parse().map_err(|_| accepted())?;
    (1..=5).contains(&rating).then_some(rating).ok_or_else(accepted)
}

/// Checks a reason; the error lists the accepted values.
pub fn validate_reason(value: &str) -> Result<Reason, String> {
    Reason::parse(value.trim()).ok_or_else(|| {
        let accepted: Vec<&str> = Reason::ALL.iter().map(|r| r.as_str()).collect();
        format!("unknown reason `{}`; accepted: {}", value.chars().take(40).collect::<String>(), accepted.join(", "))
    })
}

/// Trims a comment and checks its length; empty becomes `None`.
pub fn validate_comment(value: &str) -> Result<Option<String>, String> {
    let trimmed = value.trim();
    let length = trimmed.chars().count();
    if length > MAX_COMMENT_CHARS {
        return Err(format!("comment is {length} characters; at most {MAX_COMMENT_CHARS} are accepted"));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_string()))
}

/// The site's time zone (`site.time_zone`): days, periods and "per day" counts are
/// the site's calendar days. Set once at start-up; UTC until then.
static TIME_ZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

/// Sets the time zone days are counted in (the first call wins).
pub fn set_time_zone(zone: chrono_tz::Tz) {
    let _ = TIME_ZONE.set(zone);
}

fn time_zone() -> chrono_tz::Tz {
    TIME_ZONE.get().copied().unwrap_or(chrono_tz::UTC)
}

/// The calendar day of a unix time in the site's time zone, as days since 1970-01-01.
pub fn day_of(unix_seconds: i64) -> i64 {
    day_in(time_zone(), unix_seconds)
}

/// [`day_of`] in `zone`.
pub fn day_in(zone: chrono_tz::Tz, unix_seconds: i64) -> i64 {
    use chrono::TimeZone;
    match zone.timestamp_opt(unix_seconds, 0).single() {
        Some(local) => (local.date_naive() - epoch()).num_days(),
        None => unix_seconds.div_euclid(86_400),
    }
}

fn epoch() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// A unix time as the site's local date and time, with the zone's abbreviation.
pub fn local_time(unix_seconds: i64) -> String {
    use chrono::TimeZone;
    time_zone()
        .timestamp_opt(unix_seconds, 0)
        .single()
        .map(|local| local.format("%Y-%m-%d %H:%M %Z").to_string())
        .unwrap_or_default()
}

/// The unix time at which day `day` (days since 1970-01-01) begins in the site's time
/// zone: local midnight, or the first moment of the day where a clock change skips it.
pub fn day_start(day: i64) -> i64 {
    day_start_in(time_zone(), day)
}

/// [`day_start`] in `zone`.
pub fn day_start_in(zone: chrono_tz::Tz, day: i64) -> i64 {
    use chrono::TimeZone;
    let Some(date) = epoch().checked_add_signed(chrono::Duration::days(day)) else {
        return day * 86_400;
    };
    (0..4)
        .filter_map(|hour| date.and_hms_opt(hour, 0, 0))
        .find_map(|naive| zone.from_local_datetime(&naive).earliest())
        .map_or(day * 86_400, |start| start.timestamp())
}

#[cfg(test)]
mod tests {

    #[test]
    fn days_follow_the_site_time_zone() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().expect("zone");
        let dec_1 = 20_788; // 2026-12-01
                            // 23:30 UTC on 30 November is already 1 December in Berlin.
        let late = day_start_in(chrono_tz::UTC, dec_1) - 1_800;
        assert_eq!(day_in(chrono_tz::UTC, late), dec_1 - 1);
        assert_eq!(day_in(berlin, late), dec_1);
        assert_eq!(day_start_in(berlin, dec_1), day_start_in(chrono_tz::UTC, dec_1) - 3_600);
        // The day clocks go forward is 23 hours long.
        let mar_29 = 20_541; // 2026-03-29
        assert_eq!(day_start_in(berlin, mar_29 + 1) - day_start_in(berlin, mar_29), 23 * 3_600);
        assert_eq!(day_in(chrono_tz::UTC, 0), 0);
    }

    use super::*;

    #[test]
    fn effort_bands_follow_the_scale() {
        let seven = EffortScale::new(7).expect("7");
        let easy: Vec<u8> = (1..=7).filter(|&r| seven.is_easy(r)).collect();
        let difficult: Vec<u8> = (1..=7).filter(|&r| seven.is_difficult(r)).collect();
        assert_eq!(easy, [1, 2, 3]);
        assert_eq!(difficult, [5, 6, 7]);
        let five = EffortScale::new(5).expect("5");
        let easy: Vec<u8> = (1..=5).filter(|&r| five.is_easy(r)).collect();
        let difficult: Vec<u8> = (1..=5).filter(|&r| five.is_difficult(r)).collect();
        assert_eq!(easy, [1, 2]);
        assert_eq!(difficult, [4, 5]);
        assert!(EffortScale::new(6).is_err());
    }

    #[test]
    fn ratings_convert_between_scales() {
        let five = EffortScale::new(5).expect("5");
        let seven = EffortScale::new(7).expect("7");
        assert_eq!(five.convert(1, seven), 1.0);
        assert_eq!(five.convert(5, seven), 7.0);
        assert_eq!(five.convert(3, seven), 4.0);
        let reversed = EffortScale { points: 7, low_is_easy: false };
        assert_eq!(reversed.convert(7, seven), 1.0);
        assert!(reversed.is_easy(7) && reversed.is_difficult(1));
    }

    #[test]
    fn validation_says_what_is_accepted() {
        let seven = EffortScale::new(7).expect("7");
        assert_eq!(validate_effort("4", seven), Ok(4));
        assert_eq!(validate_effort("8", seven), Err("effort must be a whole number from 1 to 7".into()));
        assert!(validate_effort("x", seven).is_err());
        assert_eq!(validate_reason("outdated"), Ok(Reason::Outdated));
        let error = validate_reason("spam").expect_err("unknown");
        assert!(error.contains("did-not-answer") && error.contains("`spam`"), "{error}");
        assert_eq!(validate_comment("  "), Ok(None));
        assert!(validate_comment(&"a".repeat(MAX_COMMENT_CHARS + 1)).is_err());
    }
}
