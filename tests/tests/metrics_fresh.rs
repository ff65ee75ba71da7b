//! Every series the README lists under "Observability" is on `/metrics` of a fresh server,
//! before anything happened, at 0: dashboards and `rate()` need a series, and a missing
//! series is not a zero. One test in its own binary, so the process-wide recorder is new.

use e2e::{Sent, spawn_app_with};
use reqwest::StatusCode;

/// The metric names (with their label names) the README lists, and the label values it
/// gives in parentheses.
fn readme_series() -> Vec<(String, Vec<String>)> {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("`GET /metrics` serves")
        .expect("metrics list in README");
    let end = start
        + readme[start..]
            .find("`GET /readyz`")
            .expect("end of the list");
    let mut series = Vec::new();
    for item in readme[start..end].split("\n  - ").skip(1) {
        let values: Vec<String> = item
            .split_once('(')
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(inside, _)| inside.split(',').map(|v| v.trim().to_owned()).collect())
            .unwrap_or_default();
        for name in item.split('`').skip(1).step_by(2) {
            // A metric name, with its label names: `tips_total{kind,outcome}`.
            let metric = name.contains('_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || matches!(c, '_' | '{' | '}' | ','));
            if metric {
                series.push((name.to_owned(), values.clone()));
            }
        }
    }
    series
}

#[tokio::test]
async fn every_listed_series_exists_at_zero_on_a_fresh_server() {
    let app = spawn_app_with(|c| c.delivery_worker = false).await;
    let response = app.get("/metrics").sent().await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("text");
    let series = readme_series();
    assert!(series.len() >= 8, "{series:?}");
    let mut missing = Vec::new();
    for (listed, values) in &series {
        let name = listed.split('{').next().unwrap_or_default();
        let present = text.lines().any(|line| {
            line.starts_with(&format!("{name}{{"))
                || line.starts_with(&format!("{name} "))
                || line.starts_with(&format!("{name}_bucket{{"))
        });
        if !present {
            missing.push(listed.clone());
        }
        // Counters with listed outcomes: each one is there at 0 before its first event.
        if name.ends_with("_total") && !values.is_empty() {
            for value in values {
                let zero = text.lines().any(|line| {
                    line.starts_with(&format!("{name}{{"))
                        && line.contains(&format!("outcome=\"{value}\""))
                        && line.ends_with(" 0")
                });
                if !zero {
                    missing.push(format!("{name} outcome={value} at 0"));
                }
            }
        }
    }
    for code in server::graphql::errors::ErrorCode::ALL {
        let line = format!("graphql_errors_total{{code=\"{}\"}} 0", code.as_str());
        if !text.lines().any(|l| l == line) {
            missing.push(line);
        }
    }
    for kind in server::metrics::TIP_KINDS {
        for outcome in server::metrics::TIP_OUTCOMES {
            let line = format!("tips_total{{kind=\"{kind}\",outcome=\"{outcome}\"}} 0");
            if !text.lines().any(|l| l == line) {
                missing.push(line);
            }
        }
    }
    assert!(missing.is_empty(), "missing: {missing:#?}\n{text}");
}
