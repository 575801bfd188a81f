//! Metrics from stored feedback rows: pure functions over slices, so each one can be
//! checked against hand-computed fixtures.
//!
//! Definitions (also in the staff dashboard's help text):
//! - helpful share = yes / (yes + no); ranking uses the Wilson score lower bound at 95%
//!   so that 1 helpful vote of 1 does not outrank 95 of 100;
//! - CES: mean effort on the configured scale (answers given on another scale are
//!   converted by their position between "very easy" and "very difficult"), the
//!   distribution, easy share (1–3 of 7, 1–2 of 5), difficult share (5–7, 4–5) and
//!   net easy = easy share − difficult share;
//! - self-service: vote rate = votes / views, escalation rate = escalations / views,
//!   deflection estimate = views that did not escalate.

use std::collections::{BTreeMap, HashMap};

use super::{Arrival, DailyCounts, EffortScale, SearchOutcome, VoteEvent, VoteRow};

/// z for a two-sided 95% interval.
const Z_95: f64 = 1.959_963_985;

/// A time range `[from, to)` in unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
}

impl Period {
    /// The `days` days up to and including the day of `now`.
    pub fn last_days(days: i64, now: i64) -> Self {
        let end_day = super::day_of(now) + 1;
        Self { from: super::day_start(end_day - days), to: super::day_start(end_day) }
    }

    /// Whole days from `first_day` to `last_day` inclusive (days since the epoch), in
    /// the site's time zone.
    pub fn days(first_day: i64, last_day: i64) -> Self {
        Self { from: super::day_start(first_day), to: super::day_start(last_day.max(first_day) + 1) }
    }

    /// The period of the same length just before this one.
    pub fn previous(self) -> Self {
        Self { from: self.from - (self.to - self.from), to: self.from }
    }

    pub fn first_day(self) -> i64 {
        super::day_of(self.from)
    }

    /// First day after the period.
    pub fn end_day(self) -> i64 {
        super::day_of(self.to - 1) + 1
    }

    pub fn contains(self, at: i64) -> bool {
        (self.from..self.to).contains(&at)
    }
}

/// Lower bound of the Wilson score interval (95%) for `positive` of `total`.
pub fn wilson_lower_bound(positive: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    let n = total as f64;
    let p = positive as f64 / n;
    let z2 = Z_95 * Z_95;
    let centre = p + z2 / (2.0 * n);
    let margin = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - margin) / (1.0 + z2 / n)).max(0.0)
}

fn share(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Yes and no votes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Helpfulness {
    pub yes: u64,
    pub no: u64,
}

impl Helpfulness {
    pub fn votes(&self) -> u64 {
        self.yes + self.no
    }
    /// yes / (yes + no); also the CSAT-style satisfaction.
    pub fn share(&self) -> Option<f64> {
        share(self.yes, self.votes())
    }
    /// Wilson lower bound of the helpful share, for ranking.
    pub fn wilson(&self) -> f64 {
        wilson_lower_bound(self.yes, self.votes())
    }
    fn add(&mut self, helpful: bool) {
        if helpful {
            self.yes += 1;
        } else {
            self.no += 1;
        }
    }
}

/// Customer Effort Score summary on one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct Effort {
    pub scale: EffortScale,
    /// Sum of ratings converted to `scale`.
    sum: f64,
    /// Answers per point of `scale` (index 0 = rating 1).
    pub distribution: Vec<u64>,
    pub easy: u64,
    pub difficult: u64,
}

impl Effort {
    pub fn new(scale: EffortScale) -> Self {
        Self { scale, sum: 0.0, distribution: vec![0; usize::from(scale.points)], easy: 0, difficult: 0 }
    }

    /// Adds a rating given on `given` (converted to this summary's scale).
    pub fn add(&mut self, rating: u8, given: EffortScale) {
        let converted = given.convert(rating, self.scale);
        self.sum += converted;
        let bucket = (converted.round() as usize).clamp(1, self.distribution.len()) - 1;
        self.distribution[bucket] += 1;
        self.easy += u64::from(given.is_easy(rating));
        self.difficult += u64::from(given.is_difficult(rating));
    }

    pub fn count(&self) -> u64 {
        self.distribution.iter().sum()
    }
    pub fn mean(&self) -> Option<f64> {
        let count = self.count();
        (count > 0).then(|| self.sum / count as f64)
    }
    pub fn easy_share(&self) -> Option<f64> {
        share(self.easy, self.count())
    }
    pub fn difficult_share(&self) -> Option<f64> {
        share(self.difficult, self.count())
    }
    /// Easy share − difficult share, from −1 to 1.
    pub fn net_easy(&self) -> Option<f64> {
        Some(self.easy_share()? - self.difficult_share()?)
    }
}

/// Everything measured for one page, a category or the whole help center.
#[derive(Debug, Clone, PartialEq)]
pub struct Metrics {
    pub helpfulness: Helpfulness,
    pub effort: Effort,
    pub views: u64,
    /// Distinct readers per page and day, summed over the days.
    pub readers: u64,
    pub escalations: u64,
    /// Votes with a reason or comment.
    pub comments: u64,
    /// Answers to the optional satisfaction question: (satisfied 4–5, all answers).
    pub csat: (u64, u64),
}

impl Metrics {
    pub fn new(scale: EffortScale) -> Self {
        Self {
            helpfulness: Helpfulness::default(),
            effort: Effort::new(scale),
            views: 0,
            readers: 0,
            escalations: 0,
            comments: 0,
            csat: (0, 0),
        }
    }

    pub fn add_vote(&mut self, vote: &VoteRow) {
        self.helpfulness.add(vote.helpful);
        if let Some(rating) = vote.effort {
            self.effort.add(rating, vote.scale);
        }
        self.comments += u64::from(!vote.reasons.is_empty() || vote.comment.is_some());
        if let Some(satisfaction) = vote.csat {
            self.csat.0 += u64::from(satisfaction >= 4);
            self.csat.1 += 1;
        }
    }

    /// CSAT: the share of satisfaction answers that are 4 or 5 (of 5).
    pub fn csat_share(&self) -> Option<f64> {
        share(self.csat.0, self.csat.1)
    }

    pub fn add_counts(&mut self, counts: &DailyCounts) {
        self.views += counts.views;
        self.readers += counts.readers;
        self.escalations += counts.escalations;
    }

    /// Folds another page's metrics into these (for categories and totals).
    pub fn merge(&mut self, other: &Metrics) {
        self.helpfulness.yes += other.helpfulness.yes;
        self.helpfulness.no += other.helpfulness.no;
        self.effort.sum += other.effort.sum;
        for (mine, theirs) in self.effort.distribution.iter_mut().zip(&other.effort.distribution) {
            *mine += theirs;
        }
        self.effort.easy += other.effort.easy;
        self.effort.difficult += other.effort.difficult;
        self.views += other.views;
        self.readers += other.readers;
        self.escalations += other.escalations;
        self.comments += other.comments;
        self.csat.0 += other.csat.0;
        self.csat.1 += other.csat.1;
    }

    pub fn votes(&self) -> u64 {
        self.helpfulness.votes()
    }
    /// votes / views.
    pub fn vote_rate(&self) -> Option<f64> {
        share(self.votes(), self.views)
    }
    /// escalations / views.
    pub fn escalation_rate(&self) -> Option<f64> {
        share(self.escalations, self.views)
    }
    /// Views that did not end in a contact: the self-service estimate.
    pub fn deflections(&self) -> u64 {
        self.views.saturating_sub(self.escalations)
    }
}

/// Metrics per page key for votes and counters inside `period`.
pub fn per_page(
    votes: &[VoteRow],
    counts: &[DailyCounts],
    period: Period,
    scale: EffortScale,
) -> BTreeMap<String, Metrics> {
    let mut pages: BTreeMap<String, Metrics> = BTreeMap::new();
    for vote in votes.iter().filter(|v| period.contains(v.at)) {
        pages.entry(vote.page.clone()).or_insert_with(|| Metrics::new(scale)).add_vote(vote);
    }
    for day in counts.iter().filter(|c| (period.first_day()..period.end_day()).contains(&c.day)) {
        pages.entry(day.page.clone()).or_insert_with(|| Metrics::new(scale)).add_counts(day);
    }
    pages
}

/// Sum of page metrics grouped by `group_of(page)` (e.g. the page's category);
/// pages without a group are left out.
pub fn grouped(
    pages: &BTreeMap<String, Metrics>,
    scale: EffortScale,
    group_of: impl Fn(&str) -> Option<String>,
) -> BTreeMap<String, Metrics> {
    let mut groups: BTreeMap<String, Metrics> = BTreeMap::new();
    for (page, metrics) in pages {
        if let Some(group) = group_of(page) {
            groups.entry(group).or_insert_with(|| Metrics::new(scale)).merge(metrics);
        }
    }
    groups
}

/// Sum over all pages.
pub fn total(pages: &BTreeMap<String, Metrics>, scale: EffortScale) -> Metrics {
    let mut all = Metrics::new(scale);
    for metrics in pages.values() {
        all.merge(metrics);
    }
    all
}

/// Helpfulness and effort by how readers arrived.
pub fn by_arrival<'a>(votes: impl IntoIterator<Item = &'a VoteRow>, scale: EffortScale) -> BTreeMap<Arrival, Metrics> {
    let mut split: BTreeMap<Arrival, Metrics> = Arrival::ALL.iter().map(|&a| (a, Metrics::new(scale))).collect();
    for vote in votes {
        split.entry(vote.arrival).or_insert_with(|| Metrics::new(scale)).add_vote(vote);
    }
    split
}

/// What readers said about one page before and after its current revision.
#[derive(Debug, Clone, PartialEq)]
pub struct BeforeAfter {
    pub before: Metrics,
    pub after: Metrics,
    /// When the first answer about the current revision came in.
    pub changed_at: i64,
    /// Two-sided p-value of the difference in helpful share (two-proportion z-test);
    /// `None` when either side has fewer than [`MIN_VOTES_TO_COMPARE`] votes.
    pub p_value: Option<f64>,
}

/// Votes each side needs before a difference is tested at all.
pub const MIN_VOTES_TO_COMPARE: u64 = 10;

/// Each reader's last answer about each revision, from the page's history (oldest
/// first): their helpful/not helpful and, if they gave one for that answer, their
/// effort. A reader who answers again after an edit is counted on both sides, each
/// with what they said about that revision; an effort given before the edit is never
/// counted after it.
pub fn answers_per_revision(events: &[VoteEvent]) -> Vec<(String, VoteRow)> {
    /// One reader's answer about one revision, as it stands.
    struct Answer {
        revision: String,
        helpful: Option<bool>,
        effort: Option<(u8, EffortScale)>,
        at: i64,
    }
    let mut answers: Vec<Answer> = Vec::new();
    // (revision, visitor) → index into `answers`, which keeps first-seen order.
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for event in events {
        let slot = *index.entry((event.revision.clone(), event.visitor.clone())).or_insert_with(|| {
            answers.push(Answer { revision: event.revision.clone(), helpful: None, effort: None, at: event.at });
            answers.len() - 1
        });
        let answer = &mut answers[slot];
        if let Some(helpful) = event.helpful {
            if answer.helpful != Some(helpful) {
                // The follow-up belonged to the other answer.
                answer.effort = None;
            }
            answer.helpful = Some(helpful);
            answer.at = event.at;
        }
        if event.effort.is_some() {
            answer.effort = event.effort;
        }
    }
    answers
        .into_iter()
        .filter_map(|answer| {
            let helpful = answer.helpful?;
            let (rating, scale) =
                answer.effort.map_or((None, EffortScale { points: 7, low_is_easy: true }), |(r, s)| (Some(r), s));
            let row = VoteRow {
                id: 0,
                page: String::new(),
                helpful,
                csat: None,
                effort: rating,
                scale,
                reasons: Vec::new(),
                comment: None,
                revision: answer.revision.clone(),
                arrival: Arrival::Direct,
                search_id: None,
                at: answer.at,
                resolved_by: None,
                resolved_at: None,
            };
            Some((answer.revision, row))
        })
        .collect()
}

/// Splits a page's history at `current_revision`; `None` when every answer is about
/// one revision (unchanged since it was voted on, or not voted on since it changed).
pub fn before_after(events: &[VoteEvent], current_revision: &str, scale: EffortScale) -> Option<BeforeAfter> {
    let answers = answers_per_revision(events);
    let (after, before): (Vec<_>, Vec<_>) = answers.iter().partition(|(revision, _)| revision == current_revision);
    if before.is_empty() || after.is_empty() {
        return None;
    }
    let mut result = BeforeAfter {
        before: Metrics::new(scale),
        after: Metrics::new(scale),
        changed_at: after.iter().map(|(_, v)| v.at).min().unwrap_or_default(),
        p_value: None,
    };
    before.iter().for_each(|(_, v)| result.before.add_vote(v));
    after.iter().for_each(|(_, v)| result.after.add_vote(v));
    let (b, a) = (&result.before.helpfulness, &result.after.helpfulness);
    result.p_value = two_proportion_p_value(b.yes, b.yes + b.no, a.yes, a.yes + a.no);
    Some(result)
}

/// Two-sided p-value that two shares (`yes1/n1`, `yes2/n2`) differ only by chance,
/// by the two-proportion z-test; `None` with fewer than [`MIN_VOTES_TO_COMPARE`] on a
/// side. 19/42 against 9/25 gives 0.46: noise.
pub fn two_proportion_p_value(yes1: u64, n1: u64, yes2: u64, n2: u64) -> Option<f64> {
    if n1 < MIN_VOTES_TO_COMPARE || n2 < MIN_VOTES_TO_COMPARE {
        return None;
    }
    let (n1, n2) = (n1 as f64, n2 as f64);
    let pooled = (yes1 as f64 + yes2 as f64) / (n1 + n2);
    let spread = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    if spread == 0.0 {
        return Some(1.0);
    }
    let z = ((yes1 as f64 / n1) - (yes2 as f64 / n2)).abs() / spread;
    Some((2.0 * (1.0 - standard_normal_cdf(z))).clamp(0.0, 1.0))
}

/// Φ(x) through the error function (Abramowitz and Stegun 7.1.26, error < 1.5e-7).
fn standard_normal_cdf(x: f64) -> f64 {
    let t = x.abs() / std::f64::consts::SQRT_2;
    let k = 1.0 / (1.0 + 0.327_591_1 * t);
    let poly =
        k * (0.254_829_592 + k * (-0.284_496_736 + k * (1.421_413_741 + k * (-1.453_152_027 + k * 1.061_405_429))));
    let erf = 1.0 - poly * (-t * t).exp();
    let erf = if x < 0.0 { -erf } else { erf };
    0.5 * (1.0 + erf)
}

/// An hour in which a page got far more votes than it usually does: a sign of scripted
/// voting for staff to look at (and exclude if it is).
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    pub page: String,
    /// Start of the hour (unix seconds).
    pub hour: i64,
    pub votes: u64,
    pub helpful: u64,
    /// The page's usual votes per hour over the rows given.
    pub baseline_per_hour: f64,
}

/// Votes in one hour from which a burst is possible at all.
pub const MIN_BURST_VOTES: u64 = 10;
/// How many times its usual rate a page's hour must reach to be flagged.
pub const BURST_FACTOR: f64 = 10.0;

/// The hours of `period` in which a page got at least [`MIN_BURST_VOTES`] votes and
/// [`BURST_FACTOR`] times its usual hourly rate, measured over all of `votes` (the
/// period and the one before it), largest first.
pub fn bursts(votes: &[VoteRow], period: Period) -> Vec<Burst> {
    let span_hours = ((period.to - period.previous().from) as f64 / 3_600.0).max(1.0);
    let mut totals: HashMap<&str, u64> = HashMap::new();
    let mut hours: HashMap<(&str, i64), (u64, u64)> = HashMap::new();
    for vote in votes {
        *totals.entry(&vote.page).or_default() += 1;
        if period.contains(vote.at) {
            let entry = hours.entry((&vote.page, vote.at - vote.at.rem_euclid(3_600))).or_default();
            entry.0 += 1;
            entry.1 += u64::from(vote.helpful);
        }
    }
    let mut found: Vec<Burst> = hours
        .into_iter()
        .filter_map(|((page, hour), (count, helpful))| {
            // The usual rate leaves the hour itself out, so one burst does not hide itself.
            let usual = (totals[page] - count) as f64 / span_hours;
            (count >= MIN_BURST_VOTES && count as f64 >= BURST_FACTOR * usual.max(1.0 / 24.0)).then(|| Burst {
                page: page.to_string(),
                hour,
                votes: count,
                helpful,
                baseline_per_hour: usual,
            })
        })
        .collect();
    found.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.hour.cmp(&b.hour)));
    found
}

/// Weights of the needs-attention score (they sum to 1).
pub const ATTENTION_UNHELPFUL: f64 = 0.4;
pub const ATTENTION_EFFORT: f64 = 0.25;
pub const ATTENTION_ESCALATION: f64 = 0.25;
pub const ATTENTION_STALE: f64 = 0.1;

/// Why a page needs attention, and how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Attention {
    pub score: f64,
    /// Confident unhelpful share: Wilson lower bound of the "no" share.
    pub unhelpful: f64,
    /// Confident difficult share: Wilson lower bound of difficult ratings.
    pub difficult: f64,
    /// Confident escalation rate: Wilson lower bound of escalations / views.
    pub escalating: f64,
    pub stale: bool,
}

/// The needs-attention score:
///
/// `(0.4·U + 0.25·E + 0.25·X + 0.1·S) × (1 + ln(1 + views))`
///
/// where U, E and X are the Wilson lower bounds (95%) of the unhelpful share, the
/// difficult-effort share and the escalation rate (so a handful of votes cannot put a
/// page on top, and many consistent ones do), S is 1 when the page's `reviewed` date is
/// older than the staleness limit, and the traffic factor puts pages many customers
/// read first among equally weak ones.
pub fn attention(metrics: &Metrics, stale: bool) -> Attention {
    let unhelpful = wilson_lower_bound(metrics.helpfulness.no, metrics.votes());
    let difficult = wilson_lower_bound(metrics.effort.difficult, metrics.effort.count());
    let escalating = wilson_lower_bound(metrics.escalations.min(metrics.views), metrics.views);
    let weakness = ATTENTION_UNHELPFUL * unhelpful
        + ATTENTION_EFFORT * difficult
        + ATTENTION_ESCALATION * escalating
        + ATTENTION_STALE * f64::from(u8::from(stale));
    let traffic = 1.0 + (1.0 + metrics.views as f64).ln();
    Attention { score: weakness * traffic, unhelpful, difficult, escalating, stale }
}

/// Searches grouped by the analyzer's normal form.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryGroup {
    pub normalized: String,
    /// The most frequent wording, shown to staff.
    pub example: String,
    pub searches: u64,
    pub zero_results: u64,
    pub clicks: u64,
    /// Searches whose clicked page the reader then voted unhelpful.
    pub unhelpful_clicks: u64,
}

/// The search report for a period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SearchReport {
    pub searches: u64,
    pub zero_results: u64,
    pub clicks: u64,
    /// Every group, most searched first.
    pub groups: Vec<QueryGroup>,
}

impl SearchReport {
    pub fn zero_result_rate(&self) -> Option<f64> {
        share(self.zero_results, self.searches)
    }
    /// Searches where a result was opened / searches.
    pub fn click_through_rate(&self) -> Option<f64> {
        share(self.clicks, self.searches)
    }
    /// Most searched groups.
    pub fn top_queries(&self, n: usize) -> Vec<&QueryGroup> {
        self.groups.iter().take(n).collect()
    }
    /// Most searched groups that found nothing: the content gaps.
    pub fn top_zero_result(&self, n: usize) -> Vec<&QueryGroup> {
        let mut gaps: Vec<&QueryGroup> = self.groups.iter().filter(|g| g.zero_results > 0).collect();
        gaps.sort_by(|a, b| b.zero_results.cmp(&a.zero_results).then_with(|| a.normalized.cmp(&b.normalized)));
        gaps.truncate(n);
        gaps
    }
    /// Groups whose clicked result was voted unhelpful, most often first.
    pub fn unhelpful_clicks(&self, n: usize) -> Vec<&QueryGroup> {
        let mut bad: Vec<&QueryGroup> = self.groups.iter().filter(|g| g.unhelpful_clicks > 0).collect();
        bad.sort_by(|a, b| b.unhelpful_clicks.cmp(&a.unhelpful_clicks).then_with(|| a.normalized.cmp(&b.normalized)));
        bad.truncate(n);
        bad
    }
}

/// Builds the search report from the searches of a period and the votes cast by
/// readers who arrived from them.
pub fn search_report(searches: &[SearchOutcome], votes: &[VoteRow]) -> SearchReport {
    let unhelpful_after: std::collections::HashSet<i64> =
        votes.iter().filter(|v| !v.helpful).filter_map(|v| v.search_id).collect();
    let mut groups: HashMap<&str, (QueryGroup, HashMap<&str, u64>)> = HashMap::new();
    let mut report = SearchReport::default();
    for search in searches.iter().filter(|s| !s.normalized.is_empty()) {
        report.searches += 1;
        let zero = search.result_count == 0;
        let clicked = search.clicked.is_some();
        report.zero_results += u64::from(zero);
        report.clicks += u64::from(clicked);
        let (group, wordings) = groups.entry(&search.normalized).or_insert_with(|| {
            (
                QueryGroup {
                    normalized: search.normalized.clone(),
                    example: String::new(),
                    searches: 0,
                    zero_results: 0,
                    clicks: 0,
                    unhelpful_clicks: 0,
                },
                HashMap::new(),
            )
        });
        group.searches += 1;
        group.zero_results += u64::from(zero);
        group.clicks += u64::from(clicked);
        group.unhelpful_clicks += u64::from(clicked && unhelpful_after.contains(&search.id));
        *wordings.entry(search.query.as_str()).or_default() += 1;
    }
    report.groups = groups
        .into_values()
        .map(|(mut group, wordings)| {
            // Most frequent wording; ties go to the alphabetically first, for stable output.
            group.example = wordings
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(a.0)))
                .map(|(w, _)| w.to_string())
                .unwrap_or_default();
            group
        })
        .collect();
    report.groups.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.normalized.cmp(&b.normalized)));
    report
}

/// Helpful and unhelpful votes per day of a period, for the trend charts.
pub fn daily_votes<'a>(votes: impl IntoIterator<Item = &'a VoteRow>, period: Period) -> Vec<(i64, Helpfulness)> {
    let mut days: Vec<(i64, Helpfulness)> =
        (period.first_day()..period.end_day()).map(|d| (d, Helpfulness::default())).collect();
    for vote in votes {
        let day = super::day_of(vote.at);
        if let Some(index) = day.checked_sub(period.first_day()).and_then(|i| usize::try_from(i).ok()) {
            if let Some((_, helpfulness)) = days.get_mut(index) {
                helpfulness.add(vote.helpful);
            }
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::super::{Reason, VoteRow};
    use super::*;

    const DAY: i64 = 86_400;

    fn seven() -> EffortScale {
        EffortScale::new(7).expect("7")
    }

    fn vote(page: &str, helpful: bool, effort: Option<u8>, at: i64) -> VoteRow {
        VoteRow {
            id: at,
            page: page.into(),
            helpful,
            csat: None,
            effort,
            scale: seven(),
            reasons: Vec::new(),
            comment: None,
            revision: "r1".into(),
            arrival: Arrival::Direct,
            search_id: None,
            at,
            resolved_by: None,
            resolved_at: None,
        }
    }

    fn close(actual: f64, expected: f64) {
        assert!((actual - expected).abs() < 5e-4, "{actual} != {expected}");
    }

    #[test]
    fn wilson_lower_bound_matches_hand_computation() {
        // Hand-computed with z = 1.96: 1 of 1 → 0.2065, 95 of 100 → 0.8882, 0 of 10 → 0.
        close(wilson_lower_bound(1, 1), 0.2065);
        close(wilson_lower_bound(95, 100), 0.8882);
        close(wilson_lower_bound(0, 10), 0.0);
        close(wilson_lower_bound(5, 10), 0.2366);
        assert_eq!(wilson_lower_bound(0, 0), 0.0);
        assert!(wilson_lower_bound(95, 100) > wilson_lower_bound(1, 1));
    }

    #[test]
    fn effort_summary_matches_fixture() {
        // Ratings 1, 2, 3, 4, 7, 7 on 7 points: mean 4.0, easy 3/6, difficult 2/6,
        // net easy 1/6.
        let mut effort = Effort::new(seven());
        for rating in [1, 2, 3, 4, 7, 7] {
            effort.add(rating, seven());
        }
        close(effort.mean().expect("mean"), 4.0);
        assert_eq!(effort.distribution, vec![1, 1, 1, 1, 0, 0, 2]);
        close(effort.easy_share().expect("easy"), 0.5);
        close(effort.difficult_share().expect("difficult"), 1.0 / 3.0);
        close(effort.net_easy().expect("net"), 1.0 / 6.0);
        // A 5-point answer of 5 counts as 7 on the 7-point summary and as difficult.
        let five = EffortScale::new(5).expect("5");
        effort.add(5, five);
        assert_eq!(effort.distribution[6], 3);
        close(effort.mean().expect("mean"), 31.0 / 7.0);
        assert_eq!(Effort::new(seven()).mean(), None);
    }

    #[test]
    fn page_metrics_count_votes_views_and_escalations_in_the_period() {
        let period = Period::days(10, 16); // days 10..=16
        let votes = vec![
            vote("a", true, Some(2), 10 * DAY + 5),
            vote("a", false, Some(6), 12 * DAY),
            vote("a", true, None, 16 * DAY + DAY - 1),
            vote("a", true, None, 17 * DAY), // after the period
            vote("b", false, None, 9 * DAY), // before
        ];
        let counts = vec![
            DailyCounts { page: "a".into(), day: 10, views: 30, escalations: 3, readers: 30 },
            DailyCounts { page: "a".into(), day: 16, views: 10, escalations: 1, readers: 10 },
            DailyCounts { page: "a".into(), day: 17, views: 99, escalations: 9, readers: 99 },
            DailyCounts { page: "b".into(), day: 11, views: 20, escalations: 0, readers: 20 },
        ];
        let pages = per_page(&votes, &counts, period, seven());
        let a = &pages["a"];
        assert_eq!(a.helpfulness, Helpfulness { yes: 2, no: 1 });
        close(a.helpfulness.share().expect("share"), 2.0 / 3.0);
        assert_eq!((a.views, a.escalations, a.deflections()), (40, 4, 36));
        close(a.vote_rate().expect("rate"), 3.0 / 40.0);
        close(a.escalation_rate().expect("rate"), 0.1);
        close(a.effort.mean().expect("mean"), 4.0);
        let b = &pages["b"];
        assert_eq!((b.votes(), b.views), (0, 20));
        let all = total(&pages, seven());
        assert_eq!((all.votes(), all.views, all.escalations), (3, 60, 4));
        let by_first_letter = grouped(&pages, seven(), |p| (p == "a").then(|| "cat".to_string()));
        assert_eq!(by_first_letter.len(), 1);
        assert_eq!(by_first_letter["cat"].views, 40);
    }

    #[test]
    fn periods_compare_with_the_one_before() {
        let now = 100 * DAY + 3_600;
        let week = Period::last_days(7, now);
        assert_eq!((week.first_day(), week.end_day()), (94, 101));
        let before = week.previous();
        assert_eq!((before.first_day(), before.end_day()), (87, 94));
    }

    #[test]
    fn before_and_after_an_edit() {
        let event = |visitor: &str, revision: &str, at: i64, helpful: Option<bool>, effort: Option<u8>| VoteEvent {
            visitor: visitor.into(),
            revision: revision.into(),
            at,
            helpful,
            effort: effort.map(|e| (e, seven())),
        };
        let events = [
            event("ann", "old", 1, Some(false), None),
            event("ann", "old", 2, None, Some(6)),
            event("bob", "old", 3, Some(false), None),
            event("bob", "old", 4, None, Some(7)),
            // After the edit: Ann changes her mind and rates again; Bob repeats his
            // answer without rating (his old rating must not count as "after"); Cy is new.
            event("ann", "r1", 10, Some(true), None),
            event("ann", "r1", 11, None, Some(2)),
            event("bob", "r1", 12, Some(false), None),
            event("cy", "r1", 13, Some(true), None),
            event("cy", "r1", 14, None, Some(1)),
            // Cy changes her answer: her rating belonged to the other answer.
            event("cy", "r1", 15, Some(false), None),
        ];
        let split = before_after(&events, "r1", seven()).expect("changed");
        assert_eq!(split.before.helpfulness, Helpfulness { yes: 0, no: 2 });
        assert_eq!(split.after.helpfulness, Helpfulness { yes: 1, no: 2 });
        close(split.before.effort.mean().expect("mean"), 6.5);
        assert_eq!(split.after.effort.count(), 1, "only Ann's rating of the new revision");
        close(split.after.effort.mean().expect("mean"), 2.0);
        assert_eq!(split.changed_at, 10);
        assert_eq!(split.p_value, None, "too few votes to test");
        assert_eq!(before_after(&events[4..], "r1", seven()), None);
    }

    #[test]
    fn bursts_stand_out_from_a_pages_usual_rate() {
        let period = Period { from: 100 * DAY, to: 107 * DAY };
        let mut votes = Vec::new();
        // A steady page: 2 votes a day for two weeks.
        for day in 93..107 {
            votes.push(vote("steady", true, None, day * DAY + 3_600));
            votes.push(vote("steady", false, None, day * DAY + 7_200));
        }
        // A quiet page that gets 40 yes votes in one hour.
        votes.push(vote("quiet", false, None, 95 * DAY));
        for minute in 0..40 {
            votes.push(vote("quiet", true, None, 103 * DAY + 5 * 3_600 + minute * 60));
        }
        // A busy page with 12 votes every hour is its usual self.
        for hour in 0..(14 * 24) {
            for k in 0..12 {
                votes.push(vote("busy", true, None, 93 * DAY + hour * 3_600 + k * 60));
            }
        }
        let found = bursts(&votes, period);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].page.as_str(), found[0].votes, found[0].helpful), ("quiet", 40, 40));
        assert_eq!(found[0].hour, 103 * DAY + 5 * 3_600);
    }

    #[test]
    fn differences_are_tested_for_chance() {
        // 19 of 42 against 9 of 25: noise.
        let p = two_proportion_p_value(19, 42, 9, 25).expect("tested");
        close(p, 0.4584);
        // 10 of 50 against 40 of 50: no accident.
        assert!(two_proportion_p_value(10, 50, 40, 50).expect("tested") < 0.001);
        assert_eq!(two_proportion_p_value(1, 3, 2, 40), None, "too few votes on one side");
        close(standard_normal_cdf(1.959_964), 0.975);
        close(standard_normal_cdf(-1.0), 0.158_655);
    }

    #[test]
    fn attention_ranks_confidently_bad_busy_pages_first() {
        let mut bad_busy = Metrics::new(seven());
        bad_busy.helpfulness = Helpfulness { yes: 20, no: 80 };
        bad_busy.views = 2_000;
        bad_busy.escalations = 200;
        let mut one_no = Metrics::new(seven());
        one_no.helpfulness = Helpfulness { yes: 0, no: 1 };
        one_no.views = 3;
        let mut good = Metrics::new(seven());
        good.helpfulness = Helpfulness { yes: 95, no: 5 };
        good.views = 2_000;
        good.escalations = 10;
        let bad_busy = attention(&bad_busy, false);
        let one_no = attention(&one_no, false);
        let good = attention(&good, false);
        assert!(bad_busy.score > one_no.score && bad_busy.score > good.score, "{bad_busy:?} {one_no:?} {good:?}");
        // Hand-computed: U = wilson(80, 100) = 0.7112, X = wilson(200, 2000) = 0.0876.
        close(bad_busy.unhelpful, 0.7112);
        close(bad_busy.escalating, 0.0876);
        close(bad_busy.score, (0.4 * 0.7112 + 0.25 * 0.0876) * (1.0 + 2001f64.ln()));
        let stale = attention(&Metrics::new(seven()), true);
        close(stale.score, 0.1);
    }

    #[test]
    fn search_report_groups_variants_and_finds_gaps() {
        let search = |id: i64, query: &str, normalized: &str, results: u64, clicked: Option<&str>| SearchOutcome {
            id,
            at: id,
            query: query.into(),
            normalized: normalized.into(),
            result_count: results,
            clicked: clicked.map(str::to_string),
        };
        let searches = vec![
            search(1, "reset password", "password reset", 4, Some("reset")),
            search(2, "password reset", "password reset", 4, None),
            search(3, "Reset passwords", "password reset", 4, Some("reset")),
            search(4, "reset password", "password reset", 4, Some("reset")),
            search(5, "refund policy", "polici refund", 0, None),
            search(6, "refunds policy", "polici refund", 0, None),
            search(7, "dark mode", "dark mode", 0, None),
            search(8, "", "", 0, None),
        ];
        let mut unhelpful = vote("reset", false, None, 9);
        unhelpful.search_id = Some(3);
        let mut helpful = vote("reset", true, None, 9);
        helpful.search_id = Some(1);
        let report = search_report(&searches, &[unhelpful, helpful]);
        assert_eq!((report.searches, report.zero_results, report.clicks), (7, 3, 3));
        close(report.zero_result_rate().expect("rate"), 3.0 / 7.0);
        close(report.click_through_rate().expect("ctr"), 3.0 / 7.0);
        let top = report.top_queries(1)[0];
        assert_eq!(
            (top.normalized.as_str(), top.example.as_str(), top.searches),
            ("password reset", "reset password", 4)
        );
        let gaps: Vec<(&str, u64)> =
            report.top_zero_result(5).iter().map(|g| (g.normalized.as_str(), g.zero_results)).collect();
        assert_eq!(gaps, [("polici refund", 2), ("dark mode", 1)]);
        let bad: Vec<&str> = report.unhelpful_clicks(5).iter().map(|g| g.normalized.as_str()).collect();
        assert_eq!(bad, ["password reset"]);
        assert_eq!(report.unhelpful_clicks(5)[0].unhelpful_clicks, 1);
    }

    #[test]
    fn arrival_split_and_daily_trend() {
        let mut from_search = vote("a", true, Some(1), DAY * 3);
        from_search.arrival = Arrival::Search;
        let mut browsing = vote("a", false, Some(7), DAY * 4);
        browsing.arrival = Arrival::Browse;
        browsing.reasons = vec![Reason::Outdated];
        let votes = [from_search, browsing];
        let split = by_arrival(&votes, seven());
        assert_eq!(split[&Arrival::Search].helpfulness, Helpfulness { yes: 1, no: 0 });
        assert_eq!(split[&Arrival::Browse].comments, 1);
        assert_eq!(split[&Arrival::Direct].votes(), 0);
        let trend = daily_votes(&votes, Period::days(3, 5));
        assert_eq!(trend.len(), 3);
        assert_eq!(trend[0], (3, Helpfulness { yes: 1, no: 0 }));
        assert_eq!(trend[1], (4, Helpfulness { yes: 0, no: 1 }));
        assert_eq!(trend[2].1.votes(), 0);
    }
}
