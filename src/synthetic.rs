//! A synthetic help center of any size, for benchmarks and load tests: realistic
//! article lengths (a few hundred words, some long), titles, headings, categories and
//! sections. Text mixes everyday help-center words (Zipf-like: a few very common) with
//! each article's own topic terms drawn from a 5,000-term lexicon of product and
//! feature names, as real help centers do ("Nano ESP32", "Wi-Fi firmware"): titles name
//! their topic, bodies repeat it. Deterministic for a given seed, so runs compare.

use std::path::Path;

/// Everyday help-center words; later words are rarer.
const WORDS: &[&str] = &[
    "account",
    "password",
    "reset",
    "email",
    "order",
    "payment",
    "invoice",
    "refund",
    "shipping",
    "delivery",
    "subscription",
    "plan",
    "billing",
    "login",
    "settings",
    "profile",
    "device",
    "connect",
    "install",
    "update",
    "error",
    "problem",
    "upload",
    "download",
    "sync",
    "backup",
    "restore",
    "export",
    "import",
    "report",
    "team",
    "member",
    "role",
    "permission",
    "access",
    "security",
    "verification",
    "code",
    "app",
    "mobile",
    "browser",
    "network",
    "wifi",
    "bluetooth",
    "battery",
    "firmware",
    "driver",
    "cable",
    "port",
    "screen",
    "display",
    "notification",
    "message",
    "chat",
    "support",
    "ticket",
    "contact",
    "cancel",
    "change",
    "upgrade",
    "downgrade",
    "trial",
    "discount",
    "coupon",
    "tax",
    "receipt",
    "address",
    "country",
    "language",
    "currency",
    "price",
    "return",
    "warranty",
    "repair",
    "replace",
    "damaged",
    "missing",
    "tracking",
    "carrier",
    "customs",
    "pickup",
    "schedule",
    "calendar",
    "reminder",
    "alert",
    "dashboard",
    "chart",
    "metric",
    "filter",
    "search",
    "folder",
    "file",
    "document",
    "photo",
    "video",
    "audio",
    "storage",
    "limit",
    "quota",
    "usage",
    "integration",
    "webhook",
    "token",
    "api",
    "key",
    "certificate",
    "domain",
    "server",
    "cloud",
    "offline",
    "online",
    "status",
    "outage",
    "delete",
    "remove",
    "archive",
    "share",
    "invite",
    "link",
    "print",
    "scan",
    "camera",
    "sensor",
    "reader",
    "keyboard",
    "shortcut",
    "theme",
    "accessibility",
    "privacy",
    "consent",
    "cookie",
    "session",
    "timeout",
    "browser",
    "cache",
    "clear",
    "reinstall",
    "compatible",
    "requirements",
    "version",
    "release",
    "beta",
];
const FILLER: &[&str] = &[
    "the", "a", "to", "your", "you", "and", "of", "in", "is", "for", "on", "with", "can", "this", "if", "it", "from",
    "when", "then", "select", "open", "check", "make", "sure", "that", "or", "be", "will", "not", "any",
];
const VERBS: &[&str] = &[
    "Reset",
    "Change",
    "Update",
    "Fix",
    "Set up",
    "Connect",
    "Cancel",
    "Find",
    "Export",
    "Restore",
    "Use",
    "Troubleshoot",
    "Remove",
    "Add",
    "Manage",
    "Understand",
    "Track",
    "Recover",
    "Enable",
    "Disable",
];

/// A small deterministic random number generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Skewed towards small indices: common words are common.
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() % 10_000) as f64 / 10_000.0;
        ((u * u * u) * n as f64) as usize % n
    }
}

/// Syllables of pseudo product and feature names.
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ra", "ven", "tor", "lux", "ne", "si", "qua", "zen", "fi", "do", "ple", "cor", "tek", "vi",
    "nor", "sta", "ba", "gen", "ix", "ro", "mu", "tal", "pex", "dra", "su", "lin", "ok",
];
/// Number of distinct topic terms.
const TOPIC_TERMS: usize = 5_000;

/// The `n`-th topic term: two or three syllables, deterministic.
fn topic_term(n: usize) -> String {
    let s = SYLLABLES.len();
    let mut term = format!("{}{}", SYLLABLES[n % s], SYLLABLES[(n / s) % s]);
    if n >= s * s {
        term.push_str(SYLLABLES[(n / (s * s)) % s]);
    }
    term
}

/// A generated article's title and its path below the content folder.
pub struct GeneratedArticle {
    pub title: String,
    pub path: String,
}

fn word(rng: &mut Rng) -> &'static str {
    WORDS[rng.zipf(WORDS.len())]
}

fn sentence(rng: &mut Rng) -> String {
    let length = 8 + rng.below(12);
    let mut words: Vec<&str> =
        (0..length).map(|_| if rng.below(3) == 0 { word(rng) } else { FILLER[rng.below(FILLER.len())] }).collect();
    let first = words[0];
    let capitalized = format!("{}{}", first[..1].to_uppercase(), &first[1..]);
    words[0] = "";
    format!("{capitalized}{}.", words.join(" "))
}

/// Writes `count` articles into `dir` (12 categories of 4 sections) and returns them.
pub fn write_help_center(dir: &Path, count: usize, seed: u64) -> std::io::Result<Vec<GeneratedArticle>> {
    let mut rng = Rng(seed.max(1));
    let mut articles = Vec::with_capacity(count);
    for i in 0..count {
        let category = i % 12;
        let section = (i / 12) % 4;
        // Topic terms: a Zipf-like pick, so some topics have many articles, most few.
        let topic = topic_term(rng.zipf(TOPIC_TERMS));
        let second_topic = topic_term(rng.zipf(TOPIC_TERMS));
        let title = format!("{} {} {} {} {}", VERBS[rng.below(VERBS.len())], topic, word(&mut rng), second_topic, i);
        let summary = format!("{} {topic} {}", sentence(&mut rng).trim_end_matches('.'), word(&mut rng));
        // Article bodies: mostly 150–600 words, a few up to ~2,000.
        let paragraphs = if rng.below(10) == 0 { 20 + rng.below(30) } else { 4 + rng.below(12) };
        let mut body = String::new();
        for p in 0..paragraphs {
            if p % 4 == 0 {
                body.push_str(&format!("## {} {}\n\n", VERBS[rng.below(VERBS.len())], word(&mut rng)));
            }
            let sentences = 2 + rng.below(4);
            let text: Vec<String> = (0..sentences).map(|_| sentence(&mut rng)).collect();
            body.push_str(&text.join(" "));
            let mention = if rng.below(2) == 0 { &topic } else { &second_topic };
            body.push_str(&format!(" This applies to {mention}."));
            body.push_str("\n\n");
        }
        let path = format!("category-{category:02}/section-{section}/article-{i:05}.md");
        let full = dir.join(&path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tags = format!("[{}, {}]", word(&mut rng), word(&mut rng));
        std::fs::write(&full, format!("---\ntitle: {title}\nsummary: {summary}\ntags: {tags}\n---\n\n{body}"))?;
        articles.push(GeneratedArticle { title, path });
    }
    Ok(articles)
}

/// Picks `count` pseudo-random words of the vocabulary (for query generation).
pub fn vocabulary_sample(count: usize, seed: u64) -> Vec<&'static str> {
    let mut rng = Rng(seed.max(1));
    (0..count).map(|_| WORDS[rng.below(WORDS.len())]).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn generates_loadable_articles() {
        let dir = tempfile::tempdir().expect("tempdir");
        let articles = super::write_help_center(dir.path(), 30, 7).expect("write");
        let library = crate::content::load(dir.path(), &crate::content::LoadOptions::default());
        assert!(library.diagnostics.is_empty(), "{:?}", library.diagnostics);
        assert_eq!(library.published().count(), 30);
        assert_eq!(articles.len(), 30);
        assert_eq!(library.categories.len(), 12);
    }
}
