//! CSV exports and the JSON metrics API.

use super::*;

/// A CSV cell that a spreadsheet will not run as a formula.
fn cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) && value.parse::<f64>().is_err() {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// A CSV download of `rows` (the first is the header), safe to open in a spreadsheet.
pub(super) fn csv_response(name: &str, rows: Vec<Vec<String>>) -> PageResult {
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        writer.write_record(row.iter().map(|v| cell(v)))?;
    }
    let bytes = writer.into_inner().map_err(|e| anyhow::anyhow!("csv: {e}"))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

/// `GET /staff/export/feedback.csv`: the period's raw votes.
pub async fn export_feedback(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let _session = staff_or_login!(request, state);
    let chosen = choose_period(&params, chrono::Utc::now().timestamp());
    let store = Arc::clone(&state.store);
    let period = chosen.period;
    let (votes, windows) =
        crate::web::blocking(move || Ok((store.votes_between(period.from, period.to)?, store.excluded_windows()?)))
            .await?;
    let version = state.site.current();
    let catalog = catalog(&version.library, state.stale_after_days);
    let mut rows = vec![[
        "id",
        "page",
        "title",
        "helpful",
        "effort",
        "effort_scale_points",
        "effort_low_is_easy",
        "csat",
        "reasons",
        "comment",
        "revision",
        "arrival",
        "at",
        "resolved_by",
        "resolved_at",
        "excluded",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect::<Vec<String>>()];
    for vote in votes {
        rows.push(vec![
            vote.id.to_string(),
            vote.page.clone(),
            catalog.get(&vote.page).map(|i| i.title.clone()).unwrap_or_default(),
            if vote.helpful { "yes" } else { "no" }.to_string(),
            vote.effort.map(|e| e.to_string()).unwrap_or_default(),
            vote.scale.points.to_string(),
            vote.scale.low_is_easy.to_string(),
            vote.csat.map(|c| c.to_string()).unwrap_or_default(),
            vote.reasons.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
            vote.comment.clone().unwrap_or_default(),
            vote.revision.clone(),
            vote.arrival.as_str().to_string(),
            when(vote.at),
            vote.resolved_by.clone().unwrap_or_default(),
            vote.resolved_at.map(when).unwrap_or_default(),
            windows.iter().any(|w| w.covers(&vote)).to_string(),
        ]);
    }
    csv_response("quire-feedback.csv", rows)
}

fn metrics_json(key: &str, info: Option<&PageInfo>, m: &Metrics) -> serde_json::Value {
    let attention = metrics::attention(m, info.is_some_and(|i| i.stale));
    serde_json::json!({
        "page": key,
        "title": info.map(|i| i.title.as_str()),
        "url": info.map(|i| i.url.as_str()),
        "category": info.map(|i| i.category.as_str()),
        "views": m.views,
        "readers": m.readers,
        "csat_answers": m.csat.1,
        "csat_share": m.csat_share(),
        "votes": m.votes(),
        "helpful": m.helpfulness.yes,
        "unhelpful": m.helpfulness.no,
        "helpful_share": m.helpfulness.share(),
        "wilson_lower_bound": m.helpfulness.wilson(),
        "effort_answers": m.effort.count(),
        "effort_mean": m.effort.mean(),
        "effort_distribution": m.effort.distribution,
        "easy_share": m.effort.easy_share(),
        "difficult_share": m.effort.difficult_share(),
        "net_easy": m.effort.net_easy(),
        "escalations": m.escalations,
        "escalation_rate": m.escalation_rate(),
        "vote_rate": m.vote_rate(),
        "deflections": m.deflections(),
        "attention_score": attention.score,
    })
}

/// `GET /staff/export/metrics.csv`: per-page metrics of the period.
pub async fn export_metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let _session = staff_or_login!(request, state);
    let PeriodData { chosen, rows, catalog } = period_data(&state, &params).await?;
    let scale = state.feedback.scale;
    let pages = metrics::per_page(&rows.votes, &rows.counts, chosen.period, scale);
    let columns = [
        "page",
        "title",
        "category",
        "views",
        "readers",
        "votes",
        "vote_rate",
        "helpful",
        "unhelpful",
        "helpful_share",
        "csat_answers",
        "csat_share",
        "wilson_lower_bound",
        "effort_answers",
        "effort_mean",
        "easy_share",
        "difficult_share",
        "net_easy",
        "escalations",
        "escalation_rate",
        "deflections",
        "attention_score",
    ];
    let mut out = vec![columns.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let empty = Metrics::new(scale);
    let keys: std::collections::BTreeSet<&String> = catalog.keys().chain(pages.keys()).collect();
    for key in keys {
        let json = metrics_json(key, catalog.get(key), pages.get(key).unwrap_or(&empty));
        out.push(
            columns
                .iter()
                .map(|c| match &json[*c] {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        );
    }
    csv_response("quire-metrics.csv", out)
}

/// `GET /staff/api/metrics`: the period's totals, per category and per page, as JSON.
pub async fn api_metrics(
    request: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<PeriodParams>,
) -> PageResult {
    let Some(_session) = session(&request, &state).await? else {
        return Ok(HttpResponse::Unauthorized()
            .json(serde_json::json!({ "error": "sign in at /staff/login; this API uses the staff session" })));
    };
    let PeriodData { chosen, rows, catalog } = period_data(&state, &params).await?;
    let scale = state.feedback.scale;
    let computed = compute(&rows, chosen.period, scale);
    let categories = metrics::grouped(&computed.pages, scale, |key| catalog.get(key).map(|i| i.category.clone()));
    let report = &computed.search;
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store")).json(serde_json::json!({
        "period": { "from": date_of_day(chosen.period.first_day()), "to": date_of_day(chosen.period.end_day() - 1) },
        "effort_scale": { "points": scale.points, "low_is_easy": scale.low_is_easy },
        "total": metrics_json("*", None, &computed.current),
        "previous_total": metrics_json("*", None, &computed.previous),
        "categories": categories.iter().map(|(name, m)| (name.clone(), metrics_json(name, None, m))).collect::<serde_json::Map<_, _>>(),
        "pages": catalog.keys().chain(computed.pages.keys()).collect::<std::collections::BTreeSet<_>>().into_iter()
            .map(|key| metrics_json(key, catalog.get(key), computed.pages.get(key).unwrap_or(&Metrics::new(scale))))
            .collect::<Vec<_>>(),
        "search": {
            "searches": report.searches,
            "zero_results": report.zero_results,
            "zero_result_rate": report.zero_result_rate(),
            "clicks": report.clicks,
            "click_through_rate": report.click_through_rate(),
            "top_queries": report.top_queries(25).iter().map(|g| serde_json::json!({"query": g.example, "normalized": g.normalized, "searches": g.searches, "zero_results": g.zero_results, "clicks": g.clicks})).collect::<Vec<_>>(),
            "zero_result_queries": report.top_zero_result(25).iter().map(|g| serde_json::json!({"query": g.example, "normalized": g.normalized, "searches": g.zero_results})).collect::<Vec<_>>(),
        },
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_never_start_a_formula() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(cell("-0.25"), "-0.25", "numbers stay numbers");
        assert_eq!(cell("fine"), "fine");
    }
}
