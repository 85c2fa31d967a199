//! `/chien-dich/{slug}`: a public campaign's published articles in order and the citizens'
//! confirmations per locality, with no name or contact; a campaign that is not public is a
//! Vietnamese 404.

use loa::params;

use crate::db_tests;
use crate::fixtures::{campaign, require_ack, spawn_tree};
use crate::helpers::{attrs, texts, TestDb};

db_tests!(the_public_page_counts_citizens_without_naming_them);

async fn the_public_page_counts_citizens_without_naming_them(db: TestDb) {
    let app = spawn_tree(db, &["mot", "hai", "nhap"]).await;
    let mot = require_ack(&app, "mot", &[], None, None).await;
    app.state
        .db
        .pool()
        .execute(
            "update ack_settings set citizens = true where article_id = $1",
            params![mot],
        )
        .await
        .unwrap();
    app.state
        .db
        .pool()
        .execute(
            "update articles set status = 'draft' where slug = 'nhap'",
            vec![],
        )
        .await
        .unwrap();
    campaign(&app, "cong-khai", &["hai", "nhap", "mot"], 100, true).await;
    campaign(&app, "noi-bo", &["mot"], 100, false).await;
    // A citizen confirms through the real form.
    let r = app
        .browser()
        .post(
            "/bai-viet/mot/nguoi-dan-xac-nhan",
            &[
                ("name", "Nguyễn Bí Mật"),
                ("phone", "0912 345 678"),
                ("email", "bimat@example.vn"),
                ("locality", "huyen-loc-ninh"),
                ("consent", "1"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "the citizen's confirmation is taken");

    let page = app.page("/chien-dich/cong-khai", 200).await;
    assert_eq!(
        attrs(&page, ".campaign-articles-public h3 a", "href"),
        ["/bai-viet/hai", "/bai-viet/mot"],
        "published articles, in the campaign's order"
    );
    assert_eq!(texts(&page, "#tong-xac-nhan"), ["1"]);
    assert_eq!(
        texts(&page, ".campaign-localities tbody td"),
        ["Huyện Bù Đăng", "0", "Huyện Lộc Ninh", "1"]
    );
    for secret in ["Bí Mật", "0912", "345 678", "bimat@", "+84"] {
        assert!(!page.contains(secret), "{secret} must not be shown");
    }
    // Not public, or no such campaign: the Vietnamese 404 page.
    for path in ["/chien-dich/noi-bo", "/chien-dich/khong-co"] {
        let page = app.page(path, 404).await;
        assert!(page.contains("Không tìm thấy trang"), "{page}");
        assert!(!page.contains("Chiến dịch noi-bo"));
    }
}
