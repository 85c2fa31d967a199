//! The editor's campaign form: creating and editing with articles chosen and ordered, Vietnamese
//! messages that re-render the form and store nothing, a taken slug, audit entries.

use loa::account::Role;
use loa::db::campaigns;

use crate::db_tests;
use crate::fixtures::{article_id, person, spawn_tree};
use crate::helpers::{attrs, location, texts, TestDb};

db_tests!(
    an_editor_creates_and_edits_a_campaign,
    mistakes_re_render_the_form_and_store_nothing,
);

/// The campaign's articles' slugs, in the campaign's order.
async fn article_slugs(db: &loa::db::Db, campaign: i64) -> Vec<String> {
    let articles = campaigns::articles(db, campaign).await.unwrap();
    articles.into_iter().map(|a| a.slug).collect()
}

async fn an_editor_creates_and_edits_a_campaign(db: TestDb) {
    let app = spawn_tree(db, &["mot", "hai", "ba"]).await;
    let (editor, _) = person(&app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let (mot, hai, ba) = (
        article_id(&app, "mot").await,
        article_id(&app, "hai").await,
        article_id(&app, "ba").await,
    );
    let form = editor.page("/admin/chien-dich/moi", 200).await;
    assert_eq!(attrs(&form, "input[name=bai]", "value").len(), 3);
    let (mot_s, hai_s, ba_s) = (mot.to_string(), hai.to_string(), ba.to_string());
    let (o_mot, o_hai) = (format!("thu_tu_{mot}"), format!("thu_tu_{hai}"));
    let r = editor
        .post(
            "/admin/chien-dich/moi",
            &[
                ("name", "Chiến dịch Đồng Xoài 2019"),
                ("slug", ""),
                ("description", "Mô tả."),
                ("starts_on", "2019-01-01"),
                ("ends_on", "31/12/2019"),
                ("staff_target_percent", "80"),
                ("citizen_target", "1000"),
                ("is_public", "1"),
                ("bai", &hai_s),
                (&o_hai, "2"),
                ("bai", &mot_s),
                (&o_mot, "1"),
                ("bai", &ba_s),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/chien-dich/chien-dich-dong-xoai-2019");
    let db = &app.state.db;
    let c = campaigns::by_slug(db, "chien-dich-dong-xoai-2019")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            c.starts_on.as_str(),
            c.ends_on.as_str(),
            c.staff_target_percent,
            c.citizen_target,
            c.is_public
        ),
        ("2019-01-01", "2019-12-31", 80, 1000, true)
    );
    assert_eq!(article_slugs(db, c.id).await, ["mot", "hai", "ba"]);
    // The edit form shows the choice in order; saving a new order and name changes both.
    let edit = editor
        .page("/admin/chien-dich/chien-dich-dong-xoai-2019/sua", 200)
        .await;
    assert_eq!(
        attrs(&edit, "input[name=bai][checked]", "value"),
        [mot_s.clone(), hai_s.clone(), ba_s.clone()]
    );
    let r = editor
        .post(
            "/admin/chien-dich/chien-dich-dong-xoai-2019/sua",
            &[
                ("name", "Chiến dịch 2019"),
                ("slug", "cd-2019"),
                ("starts_on", "2019-01-01"),
                ("ends_on", "2019-12-31"),
                ("staff_target_percent", "100"),
                ("citizen_target", "0"),
                ("bai", &ba_s),
                (&format!("thu_tu_{ba}"), "1"),
                ("bai", &mot_s),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/chien-dich/cd-2019");
    let c = campaigns::by_slug(db, "cd-2019").await.unwrap().unwrap();
    assert!(!c.is_public);
    assert_eq!(article_slugs(db, c.id).await, ["ba", "mot"]);
    let actions = db
        .pool()
        .fetch_i64(
            "select count(*) from audit_log where action in ('campaign.create', 'campaign.update') \
             and target_id = $1",
            loa::params![c.id],
        )
        .await
        .unwrap();
    assert_eq!(actions, 2);
    let log = editor.page("/admin/chien-dich", 200).await;
    assert_eq!(texts(&log, ".campaign-list tbody a"), ["Chiến dịch 2019"]);
}

async fn mistakes_re_render_the_form_and_store_nothing(db: TestDb) {
    let app = spawn_tree(db, &["mot"]).await;
    let (editor, _) = person(&app, "bt@loa.test", "Biên tập", Role::Editor, None, false).await;
    let mot = article_id(&app, "mot").await.to_string();
    let order = format!("thu_tu_{mot}");
    let r = editor
        .post(
            "/admin/chien-dich/moi",
            &[
                ("name", "  "),
                ("slug", ""),
                ("starts_on", "2019-05-01"),
                ("ends_on", "2019-04-30"),
                ("staff_target_percent", "150"),
                ("citizen_target", "nhiều"),
                ("bai", &mot),
                (&order, "thứ nhất"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(
        texts(&page, ".error-text"),
        [
            "Hãy nhập tên chiến dịch.",
            "Ngày kết thúc phải sau hoặc trùng ngày bắt đầu.",
            "Chỉ tiêu cán bộ là một số phần trăm từ 0 đến 100.",
            "Chỉ tiêu người dân là một số nguyên không âm (số lượt xác nhận).",
            "Thứ tự của bài «Bài mot» phải là một số nguyên dương (1, 2, 3…).",
        ]
    );
    // What was typed stays in the form.
    assert_eq!(attrs(&page, "#starts_on", "value"), ["2019-05-01"]);
    assert_eq!(
        attrs(&page, "input[name=bai][checked]", "value"),
        [mot.as_str()]
    );
    assert!(campaigns::list(&app.state.db).await.unwrap().is_empty());

    // A slug another campaign has: refused, with the message on the slug.
    let fields = |name: &'static str| {
        vec![
            ("name", name),
            ("slug", "trung"),
            ("starts_on", "2019-01-01"),
            ("ends_on", "2019-02-01"),
        ]
    };
    assert_eq!(
        editor
            .post("/admin/chien-dich/moi", &fields("Một"))
            .await
            .status(),
        303
    );
    let r = editor.post("/admin/chien-dich/moi", &fields("Hai")).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert_eq!(
        texts(&page, "#slug-error"),
        ["Một chiến dịch khác đã dùng đường dẫn này; hãy chọn đường dẫn khác."]
    );
    assert_eq!(campaigns::list(&app.state.db).await.unwrap().len(), 1);
}
