//! Photos in a real headless Chromium (`tests/browser/photos.mjs`): the resident's form
//! with scripts off carries a photo and its position, a lying file comes back as an
//! error at the field, and the staff tip page shows the photo through the inbox session.
//! axe-core's WCAG 2.1 A and AA rules run on each page. The script reports; this judges.

use std::path::PathBuf;

use e2e::{
    photos::{Upload, jpeg_with_gps, png, submit_with_photos, write_fixture},
    spawn_app_with,
    tips::{quiet, reference, tip_input},
};
use entity::{StaffRole, tip, tip_photo};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn photos_work_in_chromium_without_scripts_and_pass_axe() {
    let app = spawn_app_with(quiet).await;
    let dir = tempfile::tempdir().expect("dir");
    let at = (58.700_512, 12.454_371);
    let photo = write_fixture(
        dir.path(),
        "klotter.jpg",
        &jpeg_with_gps(96, 64, at.0, at.1),
    );
    // PNG bytes under a .jpg name: the browser declares image/jpeg.
    let lying = write_fixture(dir.path(), "inte-jpeg.jpg", &png(8, 8));

    // A tip with a photo and a place for the staff page, and a signed-in session.
    let bytes = jpeg_with_gps(120, 80, at.0, at.1);
    let mut input = tip_input("mellerud", "Trasig belysning vid gångtunneln.");
    input["place"] = json!({ "address": "Gångtunneln vid stationen" });
    let upload = Upload {
        bytes: &bytes,
        file_name: "tunnel.jpg",
        content_type: "image/jpeg",
    };
    let answer: Value = submit_with_photos(&app, input, &[upload], true)
        .await
        .json()
        .await
        .expect("JSON");
    let staff_reference = reference(&answer);
    let cookie = app
        .staff_session(
            "kommunpolis@mellerud.example",
            StaffRole::Recipient,
            &["mellerud"],
        )
        .await;

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-screenshots");
    let args = [photo, lying]
        .iter()
        .map(|p| p.display().to_string())
        .chain([staff_reference, cookie])
        .collect();
    let report = e2e::browser::run("photos.mjs", app.url("/"), shots, args, vec![]).await;

    for name in [
        "tip-form-photos",
        "receipt-photos",
        "tip-form-photo-error",
        "staff-tip-photos",
    ] {
        let page = &report["pages"][name];
        assert!(page["passes"].as_u64().unwrap_or(0) > 0, "{name}: axe ran");
        assert_eq!(page["violations"], json!([]), "{name}: {page}");
        let layout = e2e::browser::layout_failures(name, page);
        assert!(layout.is_empty(), "{layout:#?}");
    }
    assert_eq!(report["cspViolations"], json!([]), "{report}");
    let checks = &report["checks"];
    assert_eq!(checks["formIsMultipart"], true, "{checks}");
    assert_eq!(checks["photoFieldLabelled"], true, "{checks}");
    assert_eq!(checks["sentStatus"], 200, "{checks}");
    let sent = checks["receiptReference"]
        .as_str()
        .expect("a reference on the receipt");
    assert_eq!(checks["lyingStatus"], 422, "{checks}");
    assert_eq!(checks["lyingSummaryLinksToField"], true, "{checks}");
    assert!(
        checks["lyingFieldError"]
            .as_str()
            .is_some_and(|e| e.contains("bildtyp")),
        "{checks}"
    );
    assert_eq!(
        checks["lyingMessageKept"],
        "Klotter på skolans vägg, se bilden."
    );
    assert_eq!(
        checks["staffImages"],
        json!([{ "alt": "Bild 1 av 1 från invånaren", "loaded": true, "width": 120 }]),
        "{checks}"
    );
    assert_eq!(checks["staffPlaceShown"], true, "{checks}");

    // What the browser sent is stored clean, with the photo's position as the place.
    let row = tip::Entity::find()
        .filter(tip::Column::Reference.eq(sent))
        .one(&app.db)
        .await
        .expect("query")
        .expect("the tip from the browser");
    assert!(
        row.place_latitude_e6.is_some(),
        "the photo's position became the place"
    );
    let photos = tip_photo::Entity::find()
        .filter(tip_photo::Column::TipId.eq(row.id))
        .count(&app.db)
        .await
        .expect("count");
    assert_eq!(photos, 1);
}
