//! Server-rendered SVG charts for the staff dashboard: readable without JavaScript,
//! coloured by the stylesheet (classes, no inline style, so the strict CSP holds).
//! Each chart is an image with a text label; the pages put the numbers in a table next
//! to it for screen readers and for copying.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 160.0;
const AXIS: f64 = 18.0;

fn escape(text: &str) -> String {
    askama::filters::escape(text, askama::filters::Html).map(|s| s.to_string()).unwrap_or_default()
}

/// One bar: a label and its stacked parts (drawn bottom up with the given classes).
pub struct Bar {
    pub label: String,
    pub parts: Vec<(u64, &'static str)>,
}

/// A stacked bar chart. `summary` is the accessible description of what it shows.
pub fn bars(bars: &[Bar], summary: &str) -> String {
    let max = bars.iter().map(|b| b.parts.iter().map(|p| p.0).sum::<u64>()).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / bars.len().max(1) as f64;
    let bar_width = (slot * 0.7).max(1.0);
    let plot = HEIGHT - AXIS;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" preserveAspectRatio="none" role="img" aria-label="{}" focusable="false">"#,
        escape(summary)
    );
    let _ = write!(svg, r#"<line class="axis" x1="0" y1="{plot}" x2="{WIDTH}" y2="{plot}"/>"#);
    for (index, bar) in bars.iter().enumerate() {
        let x = index as f64 * slot + (slot - bar_width) / 2.0;
        let mut y = plot;
        for &(value, class) in &bar.parts {
            if value == 0 {
                continue;
            }
            let height = value as f64 / max * (plot - 4.0);
            y -= height;
            let _ = write!(
                svg,
                r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{bar_width:.1}" height="{height:.1}"><title>{}: {value}</title></rect>"#,
                escape(&bar.label)
            );
        }
    }
    // Label the first, middle and last bars so the time axis is readable.
    let labelled: Vec<usize> = match bars.len() {
        0 => Vec::new(),
        1 => vec![0],
        n => vec![0, n / 2, n - 1],
    };
    for index in labelled {
        let x = index as f64 * slot + slot / 2.0;
        let anchor = if index == 0 {
            "start"
        } else if index + 1 == bars.len() {
            "end"
        } else {
            "middle"
        };
        let x = if anchor == "start" {
            x - slot / 2.0
        } else if anchor == "end" {
            x + slot / 2.0
        } else {
            x
        };
        let _ = write!(
            svg,
            r#"<text class="axis-label" x="{x:.1}" y="{}" text-anchor="{anchor}">{}</text>"#,
            HEIGHT - 4.0,
            escape(&bars[index].label)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_tallest_and_escape_labels() {
        let svg = bars(
            &[
                Bar { label: "<a>".into(), parts: vec![(2, "yes"), (2, "no")] },
                Bar { label: "b".into(), parts: vec![(1, "yes")] },
            ],
            "Votes & more",
        );
        assert!(svg.contains(r#"aria-label="Votes &#38; more""#) || svg.contains("Votes &amp; more"), "{svg}");
        assert!(svg.contains("&#60;a&#62;") || svg.contains("&lt;a&gt;"), "{svg}");
        assert!(!svg.contains("<a>"));
        assert_eq!(svg.matches("<rect").count(), 3);
        // The first bar is full height: two parts of 2 of 4 each take half of the plot.
        assert!(svg.contains(r#"height="69.0""#), "{svg}");
    }
}
