//! Photos on tips, from the outside: real JPEG and PNG files (one with EXIF GPS, a camera
//! serial and a thumbnail, one a decompression bomb, one lying about its type) through
//! the GraphQL multipart request, the resident's web form and the Open311 door; the stored
//! bytes read back from the database and from the staff URL; the email through the real
//! SMTP test server. On SQLite and PostgreSQL.

use e2e::{
    Sent, TestApp, error_codes,
    photos::{
        MAKE, SERIAL, SlowUpload, Upload, file_part, has_exif, jpeg, jpeg_with_gps, png, png_bomb,
        submit_with_photos, submit_with_photos_from,
    },
    smtp::SmtpSink,
    spawn_app_with,
    tips::{counts, quick, reference, tip_input},
};
use entity::{StaffRole, tip, tip_photo};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

const STAFF_TIP: &str = "query($r: String!) { tip(reference: $r) {
    place { address latitude longitude } photos { url contentType width height } } }";
/// Where the fixture photos were taken: Mellerud's square.
const AT: (f64, f64) = (58.700_512, 12.454_371);

fn jpeg_upload(bytes: &[u8]) -> Upload<'_> {
    Upload {
        bytes,
        file_name: "IMG_0001.jpg",
        content_type: "image/jpeg",
    }
}

async fn stored_photos(app: &TestApp, reference: &str) -> Vec<tip_photo::Model> {
    let tip = tip::Entity::find()
        .filter(tip::Column::Reference.eq(reference))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the tip is stored");
    tip_photo::Entity::find()
        .filter(tip_photo::Column::TipId.eq(tip.id))
        .order_by_asc(tip_photo::Column::Position)
        .all(&app.db)
        .await
        .expect("photos")
}

async fn photo_rows(app: &TestApp) -> u64 {
    tip_photo::Entity::find()
        .count(&app.db)
        .await
        .expect("count")
}

async fn body(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

/// Nothing that identifies the camera or the place survives in `bytes`.
fn assert_clean(bytes: &[u8]) {
    assert!(!has_exif(bytes), "an EXIF block survived");
    for marker in [
        SERIAL.as_bytes(),
        MAKE.as_bytes(),
        b"Exif\0\0".as_slice(),
        b"GPS".as_slice(),
    ] {
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker),
            "{:?} survived",
            String::from_utf8_lossy(marker)
        );
    }
    // One JPEG image: a thumbnail would be a second start-of-image marker.
    let starts = bytes.windows(2).filter(|w| *w == [0xFF, 0xD8]).count();
    assert_eq!(starts, 1, "one image, no embedded thumbnail");
}

#[tokio::test]
async fn a_photo_keeps_its_pixels_and_loses_every_trace_of_metadata() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let original = jpeg_with_gps(64, 48, AT.0, AT.1);
    // The fixture really carries what a phone writes.
    assert!(has_exif(&original));
    assert_eq!(
        server::domain::photo::location(&original)
            .map(|(a, b)| ((a * 1e4).round() / 1e4, (b * 1e4).round() / 1e4)),
        Some(((AT.0 * 1e4).round() / 1e4, (AT.1 * 1e4).round() / 1e4))
    );

    let input = tip_input("mellerud", "Klotter på skolans vägg mot parkeringen.");
    let (status, answer) =
        body(submit_with_photos(&app, input.clone(), &[jpeg_upload(&original)], true).await).await;
    assert_eq!(status, 200, "{answer}");
    let reference = reference(&answer);

    // The stored bytes, straight from the database.
    let rows = stored_photos(&app, &reference).await;
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row.content_type, "image/jpeg");
    assert_eq!((row.width, row.height), (64, 48));
    assert_clean(&row.bytes);
    let decoded = image::load_from_memory(&row.bytes).expect("a real image");
    assert_eq!((decoded.width(), decoded.height()), (64, 48));

    // Staff who may see the tip get the same bytes from the API's url, and no place:
    // the resident did not ask for the photo's position.
    let token = app
        .staff_token(StaffRole::Recipient, &["mellerud"], None)
        .await;
    let data = app
        .query_as(&token, STAFF_TIP, json!({ "r": reference }))
        .await;
    assert_eq!(data["tip"]["place"], Value::Null, "{data}");
    let photo = &data["tip"]["photos"][0];
    assert_eq!(photo["contentType"], "image/jpeg");
    assert_eq!(
        (photo["width"].as_i64(), photo["height"].as_i64()),
        (Some(64), Some(48))
    );
    let url = photo["url"].as_str().expect("url");
    assert_eq!(url, format!("/staff/tips/{reference}/photos/1"));
    let response = app.get(url).bearer_auth(&token).sent().await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let served = response.bytes().await.expect("bytes");
    assert_eq!(served.as_ref(), row.bytes.as_slice());
    assert_clean(&served);

    // Sent again with the same idempotency key, it is the same tip, not a second one.
    let mut keyed = input;
    keyed["idempotencyKey"] = json!("b1d9e3c2-photo-replay");
    let first =
        body(submit_with_photos(&app, keyed.clone(), &[jpeg_upload(&original)], true).await).await;
    let again = body(submit_with_photos(&app, keyed, &[jpeg_upload(&original)], true).await).await;
    assert_eq!(reference_of(&first.1), reference_of(&again.1));
    assert_eq!(photo_rows(&app).await, 2, "one photo per stored tip");
}

fn reference_of(body: &Value) -> String {
    reference(body)
}

#[tokio::test]
async fn the_photos_position_becomes_the_place_only_when_asked() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let original = jpeg_with_gps(40, 30, AT.0, AT.1);
    let mut input = tip_input("mellerud", "Trasig gatlykta där bilden är tagen.");
    input["usePhotoLocation"] = json!(true);
    input["place"] = json!({ "address": "Torget" });
    let (status, answer) =
        body(submit_with_photos(&app, input, &[jpeg_upload(&original)], true).await).await;
    assert_eq!(status, 200, "{answer}");
    let reference = reference(&answer);
    let token = app.staff_token(StaffRole::Admin, &[], None).await;
    let data = app
        .query_as(&token, STAFF_TIP, json!({ "r": reference }))
        .await;
    let place = &data["tip"]["place"];
    assert_eq!(place["address"], "Torget", "{data}");
    let lat = place["latitude"].as_f64().expect("latitude");
    let lon = place["longitude"].as_f64().expect("longitude");
    assert!(
        (lat - AT.0).abs() < 1e-5 && (lon - AT.1).abs() < 1e-5,
        "{data}"
    );
    // The position moved to the place; the stored photo still has none.
    assert_clean(&stored_photos(&app, &reference).await[0].bytes);

    // Asked for, but no photo has a position: a clear error, nothing stored.
    let before = counts(&app).await;
    let mut input = tip_input("mellerud", "Ett foto utan position från kameran.");
    input["usePhotoLocation"] = json!(true);
    let plain = jpeg(20, 20);
    let (status, answer) =
        body(submit_with_photos(&app, input, &[jpeg_upload(&plain)], true).await).await;
    assert_eq!(status, 200);
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
    assert_eq!(
        answer["errors"][0]["extensions"]["field"],
        "usePhotoLocation"
    );
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn bombs_lies_and_too_many_files_are_refused_and_nothing_is_stored() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let before = (counts(&app).await, photo_rows(&app).await);
    let bomb = png_bomb();
    assert!(bomb.len() < 2_000, "a small file: {} bytes", bomb.len());
    let png_bytes = png(8, 8);
    let text = b"Inte en bild, bara text med en bildtyp.".to_vec();
    let one = jpeg(8, 8);
    let cases: Vec<(&str, Vec<Upload<'_>>)> = vec![
        (
            "a decompression bomb",
            vec![Upload {
                bytes: &bomb,
                file_name: "bomb.png",
                content_type: "image/png",
            }],
        ),
        (
            "a PNG that says it is a JPEG",
            vec![Upload {
                bytes: &png_bytes,
                file_name: "photo.jpg",
                content_type: "image/jpeg",
            }],
        ),
        (
            "text that says it is a JPEG",
            vec![Upload {
                bytes: &text,
                file_name: "photo.jpg",
                content_type: "image/jpeg",
            }],
        ),
        ("four photos", (0..4).map(|_| jpeg_upload(&one)).collect()),
    ];
    for (what, files) in cases {
        let input = tip_input("mellerud", "Ett meddelande med en bild som inte går.");
        let (status, answer) = body(submit_with_photos(&app, input, &files, true).await).await;
        assert!(status == 200 || status == 400, "{what}: {status}");
        assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{what}: {answer}");
        assert_eq!(
            answer["errors"][0]["extensions"]["field"], "photos",
            "{what}: {answer}"
        );
        assert!(
            !answer.to_string().contains("panicked"),
            "{what}: no internals"
        );
    }
    assert_eq!(
        (counts(&app).await, photo_rows(&app).await),
        before,
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_multipart_request_without_a_preflight_header_is_refused() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let before = counts(&app).await;
    let photo = jpeg(8, 8);
    let input = tip_input("mellerud", "Skickat från en annan webbplats i smyg.");
    let (status, answer) =
        body(submit_with_photos(&app, input.clone(), &[jpeg_upload(&photo)], false).await).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(error_codes(&answer), ["BAD_REQUEST"]);
    assert!(answer.get("data").is_none(), "{answer}");
    assert_eq!(counts(&app).await, before, "nothing was stored");
    // The same request with the header goes through.
    let (status, answer) =
        body(submit_with_photos(&app, input, &[jpeg_upload(&photo)], true).await).await;
    assert_eq!(status, 200);
    reference(&answer);
}

#[tokio::test]
async fn only_staff_who_may_see_the_tip_get_its_photos() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let photo = jpeg(12, 9);
    let input = tip_input("mellerud", "Skadegörelse vid busshållplatsen.");
    let (_, answer) =
        body(submit_with_photos(&app, input, &[jpeg_upload(&photo)], true).await).await;
    let reference = reference(&answer);
    let url = format!("/staff/tips/{reference}/photos/1");

    assert_eq!(app.get(&url).sent().await.status(), 401, "anonymous");
    assert_eq!(
        app.get(&url)
            .bearer_auth("not-a-token")
            .sent()
            .await
            .status(),
        401,
        "an unknown token"
    );
    let elsewhere = app
        .staff_token(StaffRole::Recipient, &["almhult"], None)
        .await;
    assert_eq!(
        app.get(&url).bearer_auth(&elsewhere).sent().await.status(),
        404,
        "out of scope looks like missing"
    );
    let here = app
        .staff_token(StaffRole::Recipient, &["mellerud"], None)
        .await;
    assert_eq!(app.get(&url).bearer_auth(&here).sent().await.status(), 200);
    for missing in ["2", "0", "x", "99999"] {
        let path = format!("/staff/tips/{reference}/photos/{missing}");
        assert_eq!(
            app.get(&path).bearer_auth(&here).sent().await.status(),
            404,
            "{missing}"
        );
    }

    // The inbox's session reaches it too: an account signed in on the web.
    let cookie = app
        .staff_session(
            "kommunpolis@mellerud.example",
            StaffRole::Recipient,
            &["mellerud"],
        )
        .await;
    let response = app.get(&url).header("cookie", &cookie).sent().await;
    assert_eq!(response.status(), 200);
    // The inbox page shows it with a text alternative, and the place section is absent
    // when there is no place.
    let page = app
        .get(&format!("/staff/tips/{reference}"))
        .header("cookie", &cookie)
        .sent()
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&format!(
            "<img src=\"{url}\" alt=\"Bild 1 av 1 från invånaren\" width=\"12\" height=\"9\""
        )),
        "{page}"
    );
}

#[tokio::test]
async fn the_contacts_email_links_to_the_photos_and_carries_none() {
    let smtp = SmtpSink::start();
    let app = spawn_app_with(|c| quick(c, Some(&smtp))).await;
    let a = jpeg_with_gps(32, 24, AT.0, AT.1);
    let b = png(10, 10);
    let input = tip_input("mellerud", "Två bilder på den trasiga skylten.");
    let files = [
        jpeg_upload(&a),
        Upload {
            bytes: &b,
            file_name: "skylt.png",
            content_type: "image/png",
        },
    ];
    let (_, answer) = body(submit_with_photos(&app, input, &files, true).await).await;
    let reference = reference(&answer);
    let messages = smtp.wait_for(1, e2e::PATIENCE).await;
    let to_contact = messages
        .iter()
        .filter_map(|m| mail_parser::MessageParser::default().parse(m))
        .find(|m| m.body_text(0).is_some_and(|t| t.contains("Meddelande:")))
        .expect("the email to the contact");
    let text = to_contact.body_text(0).expect("text").into_owned();
    assert!(text.contains("Invånaren bifogade 2 bilder"), "{text}");
    for n in [1, 2] {
        assert!(
            text.contains(&format!("/staff/tips/{reference}/photos/{n}")),
            "{text}"
        );
    }
    assert_eq!(
        to_contact.attachment_count(),
        0,
        "no image travels by email"
    );
    let raw = String::from_utf8_lossy(&messages[0]).to_lowercase();
    assert!(!raw.contains("content-type: image/"), "no image part");
}

#[tokio::test]
async fn erasure_removes_the_photos_with_the_place() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let photo = jpeg_with_gps(16, 16, AT.0, AT.1);
    let mut input = tip_input("mellerud", "Nedskräpning vid återvinningsstationen.");
    input["usePhotoLocation"] = json!(true);
    let (_, answer) =
        body(submit_with_photos(&app, input, &[jpeg_upload(&photo)], true).await).await;
    let reference = reference(&answer);
    let admin = app.staff_token(StaffRole::Admin, &[], None).await;
    let url = format!("/staff/tips/{reference}/photos/1");
    assert_eq!(app.get(&url).bearer_auth(&admin).sent().await.status(), 200);

    let erased = app
        .query_as(
            &admin,
            "mutation($r: String!) { eraseTip(reference: $r) { reference } }",
            json!({ "r": reference }),
        )
        .await;
    assert_eq!(erased["eraseTip"]["reference"], reference.as_str());
    assert!(
        stored_photos(&app, &reference).await.is_empty(),
        "rows deleted"
    );
    assert_eq!(photo_rows(&app).await, 0);
    assert_eq!(app.get(&url).bearer_auth(&admin).sent().await.status(), 404);
    let data = app
        .query_as(&admin, STAFF_TIP, json!({ "r": reference }))
        .await;
    assert_eq!(data["tip"]["photos"], json!([]), "{data}");
    assert_eq!(data["tip"]["place"], Value::Null, "{data}");
}

#[tokio::test]
async fn photos_count_in_the_per_client_limit() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.photo_limit_per_ip = 2;
    })
    .await;
    let photo = jpeg(8, 8);
    let two = [jpeg_upload(&photo), jpeg_upload(&photo)];
    let (status, answer) = body(
        submit_with_photos(
            &app,
            tip_input("mellerud", "Två bilder, inom gränsen."),
            &two,
            true,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    reference(&answer);
    let before = counts(&app).await;
    let response = submit_with_photos(
        &app,
        tip_input("mellerud", "En bild till, över gränsen."),
        &[jpeg_upload(&photo)],
        true,
    )
    .await;
    assert!(response.headers().contains_key("retry-after"));
    let (_, answer) = body(response).await;
    assert_eq!(error_codes(&answer), ["RATE_LIMITED"], "{answer}");
    assert_eq!(counts(&app).await, before, "nothing was stored");
    // A tip without photos is still within the tip limit.
    let plain = e2e::tips::submit(&app, tip_input("mellerud", "Utan bilder går det bra.")).await;
    reference(&plain);
}

#[tokio::test]
async fn the_web_form_takes_photos_without_scripts() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let photo = jpeg_with_gps(24, 18, AT.0, AT.1);
    let form = reqwest::multipart::Form::new()
        .text("kind", "TIP")
        .text("message", "Trasigt staket vid lekplatsen, se bilden.")
        .text("idempotency_key", "00112233445566778899aabbccddeeff")
        .text("use_photo_location", "1")
        .part(
            "photos",
            file_part(photo.clone(), "staket.jpg", "image/jpeg"),
        )
        // An empty file input, as a browser sends one left blank.
        .part(
            "photos",
            file_part(Vec::new(), "", "application/octet-stream"),
        );
    let response = app
        .post("/kommun/mellerud/tips")
        .multipart(form)
        .sent()
        .await;
    assert_eq!(response.status(), 200);
    let receipt = response.text().await.expect("page");
    assert!(receipt.contains("MEL-"), "the receipt");
    let row = tip::Entity::find()
        .one(&app.db)
        .await
        .expect("query")
        .expect("stored");
    assert!(
        row.place_latitude_e6.is_some(),
        "the photo's position became the place"
    );
    let rows = stored_photos(&app, &row.reference).await;
    assert_eq!(rows.len(), 1);
    assert_clean(&rows[0].bytes);

    // A lying file comes back as a Swedish error at the photo field, with the text kept.
    let form = reqwest::multipart::Form::new()
        .text("kind", "TIP")
        .text("message", "Ett meddelande som ska stå kvar.")
        .text("idempotency_key", "ffeeddccbbaa99887766554433221100")
        .part("photos", file_part(png(4, 4), "bild.jpg", "image/jpeg"));
    let response = app
        .post("/kommun/mellerud/tips")
        .multipart(form)
        .sent()
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.expect("page");
    assert!(
        html.contains("href=\"#photos\""),
        "the summary links to the field"
    );
    assert!(html.contains("inte den bildtyp filen säger"), "{html}");
    assert!(html.contains("Ett meddelande som ska stå kvar."));
    assert_eq!(photo_rows(&app).await, 1);
}

#[tokio::test]
async fn open311_takes_a_photo_as_media() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let photo = jpeg_with_gps(20, 20, AT.0, AT.1);
    let form = reqwest::multipart::Form::new()
        .text("jurisdiction_id", "mellerud")
        .text("service_code", "TIP")
        .text("description", "Vägskylten har blåst ner i korsningen.")
        .text("lat", "58.7005")
        .text("long", "12.4543")
        .part("media", file_part(photo, "skylt.jpg", "image/jpeg"));
    let response = app
        .post("/open311/v2/requests.json")
        .multipart(form)
        .sent()
        .await;
    let (status, answer) = body(response).await;
    assert_eq!(status, 200, "{answer}");
    let reference = answer[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned();
    let rows = stored_photos(&app, &reference).await;
    assert_eq!(rows.len(), 1);
    assert_clean(&rows[0].bytes);

    // A file that lies about its type: the standard's error format, nothing stored.
    let before = counts(&app).await;
    let form = reqwest::multipart::Form::new()
        .text("jurisdiction_id", "mellerud")
        .text("service_code", "TIP")
        .text("description", "En bild som inte är vad den säger.")
        .part(
            "media",
            file_part(b"GIF89a....".to_vec(), "x.jpg", "image/jpeg"),
        );
    let (status, answer) = body(
        app.post("/open311/v2/requests.json")
            .multipart(form)
            .sent()
            .await,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer[0]["code"], 400, "{answer}");
    assert!(
        answer[0]["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("media:")),
        "{answer}"
    );
    assert_eq!(counts(&app).await, before);
}

#[tokio::test]
async fn a_burst_of_uploads_is_answered_at_once_instead_of_buffered() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.uploads_at_once = 1;
    })
    .await;
    // An upload that takes its time: the body's start, then nothing until the test lets go.
    let slow = SlowUpload::start(&app, None).await;

    // While it holds the only slot, another upload is answered at once, through every door.
    let photo = jpeg(8, 8);
    let refused = e2e::eventually("the slot taken by the slow upload", || async {
        let response = submit_with_photos(
            &app,
            tip_input("mellerud", "Ett foto när servern har fullt upp."),
            &[jpeg_upload(&photo)],
            true,
        )
        .await;
        (response.status() == 503).then_some(response)
    })
    .await;
    assert_eq!(refused.headers()["retry-after"], "10");
    let (_, answer) = body(refused).await;
    assert_eq!(error_codes(&answer), ["UNAVAILABLE"], "{answer}");
    let form = reqwest::multipart::Form::new()
        .text("kind", "TIP")
        .text("message", "Ett meddelande från formuläret.");
    let page = app
        .post("/kommun/mellerud/tips")
        .multipart(form)
        .sent()
        .await;
    assert_eq!(page.status(), 503);
    assert!(
        page.text()
            .await
            .expect("page")
            .contains("Många skickar bilder just nu")
    );
    let form = reqwest::multipart::Form::new()
        .text("jurisdiction_id", "mellerud")
        .text("service_code", "TIP")
        .text("description", "En rapport från en Open311-klient.");
    let (status, answer) = body(
        app.post("/open311/v2/requests.json")
            .multipart(form)
            .sent()
            .await,
    )
    .await;
    assert_eq!(
        (status, &answer[0]["error_code"]),
        (503, &json!("UNAVAILABLE"))
    );
    // Requests without photos are not held up.
    reference(
        &e2e::tips::submit(
            &app,
            tip_input("mellerud", "Utan bild går det som vanligt."),
        )
        .await,
    );

    // The slow upload ends (malformed, as it happens); its slot is free again.
    assert_eq!(slow.finish().await, 400);
    let (status, answer) = body(
        submit_with_photos(
            &app,
            tip_input("mellerud", "Nu går det att skicka bilden."),
            &[jpeg_upload(&photo)],
            true,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    reference(&answer);
}

/// A tip with one small photo from `client` (through the trusted proxy).
async fn photo_from(app: &TestApp, client: &str, message: &str) -> reqwest::Response {
    let photo = jpeg(8, 8);
    submit_with_photos_from(
        app,
        client,
        tip_input("mellerud", message),
        &[jpeg_upload(&photo)],
    )
    .await
}

#[tokio::test]
async fn one_client_cannot_take_every_upload_slot() {
    let app = spawn_app_with(|c| {
        quick(c, None);
        c.trusted_proxies = "127.0.0.1/32".into();
        c.uploads_at_once = 4;
        c.uploads_per_client = 2;
    })
    .await;
    let (slow, other) = ("198.51.100.10", "198.51.100.20");
    // One client holds its share of the slots with two uploads that take their time.
    let first = SlowUpload::start(&app, Some(slow)).await;
    let second = SlowUpload::start(&app, Some(slow)).await;
    let refused = e2e::eventually("the slow client's share taken", || async {
        let response = photo_from(&app, slow, "Ett tredje foto från samma adress.").await;
        (response.status() == 503).then_some(response)
    })
    .await;
    assert_eq!(refused.headers()["retry-after"], "10");
    let (_, answer) = body(refused).await;
    assert_eq!(error_codes(&answer), ["UNAVAILABLE"], "{answer}");
    // Slots are left, and another client gets one at once.
    let answer = body(photo_from(&app, other, "Ett foto från en annan invånare.").await).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    reference(&answer.1);
    // When one of the slow uploads ends, the client has a slot again.
    assert_eq!(first.finish().await, 400);
    let answer = body(photo_from(&app, slow, "Nu går det att skicka fotot igen.").await).await;
    assert_eq!(answer.0, 200, "{}", answer.1);
    reference(&answer.1);
    assert_eq!(second.finish().await, 400);
}

#[tokio::test]
async fn a_client_cannot_name_uploads_itself_or_one_file_many_times() {
    let app = spawn_app_with(|c| quick(c, None)).await;
    let before = (counts(&app).await, photo_rows(&app).await);
    // The scalar's own marker, written by the client: in JSON variables, in the
    // document, and over GET. Each is a request error, never a panic or a 500.
    let mut forged = tip_input("mellerud", "En tipstext med en påhittad fil.");
    forged["photos"] = json!(["#__graphql_file__:0", "#__graphql_file__:x"]);
    let answer = app
        .graphql(e2e::tips::SUBMIT, json!({ "input": forged }))
        .await;
    assert_eq!(error_codes(&answer), ["BAD_REQUEST"], "{answer}");
    let literal = r##"mutation { submitTip(input: { municipality: "mellerud", kind: TIP,
        message: "En tipstext med en fil i dokumentet.", photos: ["#__graphql_file__:7"] })
        { tip { reference } } }"##;
    let answer = app.graphql(literal, json!({})).await;
    assert_eq!(error_codes(&answer), ["BAD_REQUEST"], "{answer}");
    let response = app
        .get("/graphql")
        .query(&[
            ("query", "{ __typename }"),
            ("variables", r##"{"f":"#__graphql_file__:0"}"##),
        ])
        .sent()
        .await;
    assert_eq!(response.status(), 400);

    // One file mapped to many places: refused before anything is copied.
    let photo = jpeg(8, 8);
    let mut input = tip_input("mellerud", "En fil på många ställen i taget.");
    input["photos"] = json!([null, null, null, null]);
    let operations = json!({ "query": e2e::tips::SUBMIT, "variables": { "input": input } });
    let map = json!({ "0": [
        "variables.input.photos.0", "variables.input.photos.1",
        "variables.input.photos.2", "variables.input.photos.3"] });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", map.to_string())
        .part("0", file_part(photo.clone(), "a.jpg", "image/jpeg"));
    let (status, answer) = body(
        app.post("/graphql")
            .header("apollo-require-preflight", "true")
            .multipart(form)
            .sent()
            .await,
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(error_codes(&answer), ["BAD_USER_INPUT"], "{answer}");
    assert_eq!(answer["errors"][0]["extensions"]["field"], "photos");
    assert_eq!((counts(&app).await, photo_rows(&app).await), before);

    // Open311 refuses photos posted by a page on another site.
    let form = reqwest::multipart::Form::new()
        .text("jurisdiction_id", "mellerud")
        .text("service_code", "TIP")
        .text("description", "Skickat från en annan webbplats.")
        .part("media", file_part(photo, "x.jpg", "image/jpeg"));
    let response = app
        .post("/open311/v2/requests.json")
        .header("sec-fetch-site", "cross-site")
        .multipart(form)
        .sent()
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!((counts(&app).await, photo_rows(&app).await), before);
}
