//! The access matrix: every `/admin` route and every state-changing action, tried as anonymous,
//! employee, unit head, author, editor and admin, with the exact outcome checked — a redirect to
//! the sign-in page, 403, or success.

use loa::account::Role;

use crate::db_tests;
use crate::helpers::{location, Browser, ContentDir, TestApp, TestDb, PASSWORD};

db_tests!(every_admin_route_and_action_answers_each_role_exactly);

/// Who tries.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    As(Role),
    /// An employee who heads the unit `van-phong` (every person of the fixture is there).
    Head,
}

/// What the least powerful allowed role is.
#[derive(Clone, Copy, Debug)]
enum Need {
    Author,
    Editor,
    Admin,
    /// An editor, or the head of the unit concerned (campaign progress, lists, urging).
    EditorOrHead,
}

impl Need {
    fn allows(self, who: Who) -> bool {
        let role = match who {
            Who::Anonymous => return false,
            Who::Head => return matches!(self, Need::EditorOrHead),
            Who::As(role) => role,
        };
        match self {
            Need::Author => role >= Role::Author,
            Need::Editor | Need::EditorOrHead => role >= Role::Editor,
            Need::Admin => role == Role::Admin,
        }
    }
}

enum Body {
    None,
    Form(Vec<(String, String)>),
    Multipart(Vec<(String, String)>, Option<(String, Vec<u8>)>),
}

struct Case {
    method: &'static str,
    path: String,
    body: Body,
    need: Need,
}

/// A site with one of everything each action needs, fresh for each role so that one role's
/// deletions do not change what the next one finds.
struct Fixture {
    app: TestApp,
    admin: Browser,
    ids: std::collections::HashMap<&'static str, i64>,
    author_email: String,
}

async fn fixture(db: TestDb) -> Fixture {
    let content = ContentDir::new();
    content.raw(
        "site.toml",
        "name = \"Sở A\"\n[[places]]\nslug = \"quay-1\"\nname = \"Quầy số 1\"\n\
         [[units]]\nslug = \"van-phong\"\nname = \"Văn phòng Sở\"\n"
            .as_bytes(),
    );
    let articles = [
        ("rieng", "draft"),
        ("khac-luu", "published"),
        ("khac-xuat-ban", "review"),
        ("khac-luu-tru", "published"),
        ("da-luu-tru", "archived"),
        ("da-len-lich", "scheduled"),
        ("khac-xoa", "published"),
        ("da-xoa", "published"),
        ("xem-truoc", "draft"),
        ("phien-ban", "published"),
    ];
    for (slug, status) in articles {
        let publish = if status == "scheduled" {
            "\npublish_at = \"2999-01-01T08:00:00+07:00\""
        } else {
            ""
        };
        content.article(
            &format!("{slug}.md"),
            &format!("title = \"Bài {slug}\"\nslug = \"{slug}\"\nstatus = \"{status}\"{publish}"),
            "Nội dung bài.",
        );
    }
    let app = TestApp::spawn(db, content.path()).await;
    let author_email = app.user(Role::Author).await;
    let admin_email = app.user(Role::Admin).await;
    let admin = app.browser();
    assert_eq!(admin.sign_in(&admin_email, PASSWORD).await.status(), 303);

    let db = &app.state.db;
    let mut ids = std::collections::HashMap::new();
    for (slug, _) in articles {
        let id = db
            .pool()
            .fetch_i64(
                "select id from articles where slug = $1",
                loa::params![slug],
            )
            .await
            .unwrap();
        ids.insert(slug, id);
    }
    db.pool()
        .execute(
            "update articles set author_id = (select id from users where email = $1) where slug = 'rieng'",
            loa::params![author_email.as_str()],
        )
        .await
        .unwrap();
    db.pool()
        .execute(
            "update articles set deleted_at = $1 where slug = 'da-xoa'",
            loa::params![loa::time::now()],
        )
        .await
        .unwrap();
    // One article that takes acknowledgments, for its admin view.
    db.pool()
        .execute(
            "insert into ack_settings (article_id, staff_all, citizens, statement, created_at, \
                 updated_at) values ($1, true, false, 'Tôi đã đọc.', $2, $2)",
            loa::params![ids["khac-luu"], loa::time::now()],
        )
        .await
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    let rev = loa::db::revisions::record(
        &mut tx,
        &loa::db::revisions::NewRevision {
            article_id: ids["phien-ban"],
            article_version: 1,
            title: "Bản cũ",
            summary: "",
            body: "Nội dung cũ.",
            author_id: None,
            author_label: "hệ thống",
            reason: "Lưu",
        },
        loa::time::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    ids.insert("revision", rev);
    let target = app
        .create_user(
            "muc-tieu@loa.test",
            "Mục tiêu",
            Role::Employee,
            Some("van-phong"),
            false,
        )
        .await;
    ids.insert("user", target);
    let topic = app
        .state
        .db
        .pool()
        .fetch_i64(
            "insert into topics (slug, name, created_at, updated_at) \
             values ('chu-de-thu', 'Chủ đề thử', $1, $1) returning id",
            loa::params![loa::time::now()],
        )
        .await
        .unwrap();
    ids.insert("topic", topic);
    ids.insert(
        "place",
        db.pool()
            .fetch_i64("select id from places where slug = 'quay-1'", vec![])
            .await
            .unwrap(),
    );
    // A public campaign, for its poster.
    crate::fixtures::campaign(&app, "cd", &["khac-luu"], 100, true).await;
    ids.insert(
        "unit",
        db.pool()
            .fetch_i64("select id from units where slug = 'van-phong'", vec![])
            .await
            .unwrap(),
    );
    // A campaign over the acknowledged article, whose audience includes the fixture's person.
    crate::fixtures::campaign(&app, "chien-dich-thu", &["khac-luu"], 100, true).await;
    // One image, uploaded by the admin.
    let form = reqwest::multipart::Form::new().text("alt", "Ảnh thử").part(
        "file",
        reqwest::multipart::Part::bytes(png()).file_name("a.png"),
    );
    let r = admin.post_multipart("/admin/anh", form).await;
    assert_eq!(r.status(), 303, "the admin uploads the fixture image");
    ids.insert(
        "media",
        db.pool()
            .fetch_i64("select max(id) from media", vec![])
            .await
            .unwrap(),
    );
    Fixture {
        app,
        admin,
        ids,
        author_email,
    }
}

fn png() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(40, 30, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn form(pairs: &[(&str, &str)]) -> Body {
    Body::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// A complete, valid editor form.
fn article_form(title: &str, action: &str, version: i64) -> Body {
    let version = version.to_string();
    form(&[
        ("title", title),
        ("slug", ""),
        ("summary", "Tóm tắt."),
        ("topics", "SIPAS"),
        ("cover", ""),
        ("cover_alt", ""),
        ("meta_description", ""),
        ("body", "Nội dung đã sửa."),
        ("publish_at", ""),
        ("version", &version),
        ("action", action),
    ])
}

fn cases(f: &Fixture) -> Vec<Case> {
    let id = |k: &str| f.ids[k];
    let get = |path: String, need| Case {
        method: "GET",
        path,
        body: Body::None,
        need,
    };
    let post = |path: String, body, need| Case {
        method: "POST",
        path,
        body,
        need,
    };
    let csv = "họ tên,email,đơn vị,vai trò\nNguyễn Văn Mới,moi@loa.test,van-phong,employee\n";
    let campaign_form = |name: &str| {
        form(&[
            ("name", name),
            ("slug", ""),
            ("starts_on", "2018-09-01"),
            ("ends_on", "2018-12-31"),
            ("staff_target_percent", "100"),
            ("citizen_target", "0"),
        ])
    };
    vec![
        // Campaigns: unit heads see their own unit's progress; only editors edit.
        get("/admin/chien-dich".into(), Need::EditorOrHead),
        get(
            "/admin/chien-dich/chien-dich-thu".into(),
            Need::EditorOrHead,
        ),
        get(
            "/admin/chien-dich/chien-dich-thu?don_vi=van-phong".into(),
            Need::EditorOrHead,
        ),
        get(
            "/admin/chien-dich/chien-dich-thu/in".into(),
            Need::EditorOrHead,
        ),
        get(
            format!("/admin/chien-dich/chien-dich-thu/nguoi/{}", id("user")),
            Need::EditorOrHead,
        ),
        get("/admin/chien-dich/moi".into(), Need::Editor),
        get("/admin/chien-dich/chien-dich-thu/sua".into(), Need::Editor),
        post(
            "/admin/chien-dich/chien-dich-thu/nhac-ngay".into(),
            form(&[("don_vi", "")]),
            Need::EditorOrHead,
        ),
        post(
            "/admin/chien-dich/moi".into(),
            campaign_form("Chiến dịch mới"),
            Need::Editor,
        ),
        post(
            "/admin/chien-dich/chien-dich-thu/sua".into(),
            campaign_form("Chiến dịch đã sửa"),
            Need::Editor,
        ),
        get("/admin".into(), Need::Author),
        get("/admin/bai-viet".into(), Need::Author),
        get("/admin/bai-viet?trang_thai=draft".into(), Need::Author),
        get("/admin/bai-viet/moi".into(), Need::Author),
        get(format!("/admin/bai-viet/{}", id("rieng")), Need::Author),
        get(format!("/admin/bai-viet/{}", id("khac-luu")), Need::Editor),
        get(
            format!("/admin/bai-viet/{}/phien-ban", id("phien-ban")),
            Need::Editor,
        ),
        get(
            format!(
                "/admin/bai-viet/{}/phien-ban/so-sanh?tu={}&den={}",
                id("phien-ban"),
                id("revision"),
                id("revision")
            ),
            Need::Editor,
        ),
        get(
            format!("/admin/bai-viet/{}/xoa", id("khac-xoa")),
            Need::Editor,
        ),
        get("/admin/anh".into(), Need::Author),
        get(format!("/admin/anh/{}", id("media")), Need::Author),
        get("/admin/nguoi-dung".into(), Need::Admin),
        get("/admin/nguoi-dung/moi".into(), Need::Admin),
        get(format!("/admin/nguoi-dung/{}", id("user")), Need::Admin),
        get("/admin/nguoi-dung/nhap".into(), Need::Admin),
        get("/admin/don-vi".into(), Need::Admin),
        get("/admin/don-vi/moi".into(), Need::Admin),
        get(format!("/admin/don-vi/{}", id("unit")), Need::Admin),
        get("/admin/nhat-ky".into(), Need::Admin),
        get("/admin/lich".into(), Need::Author),
        get(
            format!("/admin/bai-viet/{}/xac-nhan", id("khac-luu")),
            Need::Editor,
        ),
        get(
            format!(
                "/admin/bai-viet/{}/xac-nhan/xuat/xac-nhan.csv",
                id("khac-luu")
            ),
            Need::Editor,
        ),
        get(
            format!(
                "/admin/bai-viet/{}/xac-nhan/xuat/nguoi-dan.xlsx",
                id("khac-luu")
            ),
            Need::Editor,
        ),
        get(
            format!("/admin/bai-viet/{}/xac-nhan/bang-chung", id("khac-luu")),
            Need::Editor,
        ),
        get("/admin/nhac-nho".into(), Need::Editor),
        // Posters and the places they hang in.
        get(
            format!("/admin/bai-viet/{}/ap-phich?nguon=quay-1", id("khac-luu")),
            Need::Editor,
        ),
        get(
            format!("/admin/bai-viet/{}/ap-phich?kho=a5", id("phien-ban")),
            Need::Editor,
        ),
        get("/admin/chien-dich/cd/ap-phich".into(), Need::Editor),
        get("/admin/noi-dat".into(), Need::Editor),
        get("/admin/chu-de".into(), Need::Editor),
        get("/admin/nguoi-dan".into(), Need::Admin),
        get("/admin/tac-vu".into(), Need::Admin),
        // Articles.
        post(
            "/admin/bai-viet/moi".into(),
            article_form("Bài mới", "luu", 0),
            Need::Author,
        ),
        post(
            "/admin/bai-viet/xem-truoc".into(),
            form(&[("body", "## Xem")]),
            Need::Author,
        ),
        post(
            format!("/admin/bai-viet/{}", id("rieng")),
            article_form("Bài riêng", "luu", 1),
            Need::Author,
        ),
        post(
            format!("/admin/bai-viet/{}", id("khac-luu")),
            article_form("Bài khác", "luu", 1),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}", id("khac-xuat-ban")),
            article_form("Bài xuất bản", "xuat-ban", 1),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/luu-tru", id("khac-luu-tru")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/bo-luu-tru", id("da-luu-tru")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/huy-lich", id("da-len-lich")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/xoa", id("khac-xoa")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/khoi-phuc", id("da-xoa")),
            form(&[]),
            Need::Admin,
        ),
        post(
            format!("/admin/bai-viet/{}/xac-nhan/bang-chung", id("khac-luu")),
            form(&[("dinh_dang", "csv")]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/lien-ket-xem-truoc", id("xem-truoc")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!("/admin/bai-viet/{}/thu-hoi-xem-truoc", id("xem-truoc")),
            form(&[]),
            Need::Editor,
        ),
        post(
            format!(
                "/admin/bai-viet/{}/phien-ban/{}/khoi-phuc",
                id("phien-ban"),
                id("revision")
            ),
            form(&[]),
            Need::Editor,
        ),
        post(
            "/admin/noi-dat".into(),
            form(&[("name", "Quầy mới"), ("slug", "")]),
            Need::Editor,
        ),
        post(
            format!("/admin/noi-dat/{}", id("place")),
            form(&[("name", "Quầy số 1 (mới)")]),
            Need::Editor,
        ),
        post(
            format!("/admin/chu-de/{}", id("topic")),
            form(&[("name", "Chủ đề đã đổi tên")]),
            Need::Editor,
        ),
        // Media.
        post(
            "/admin/anh".into(),
            Body::Multipart(
                vec![("alt".into(), "Ảnh".into())],
                Some(("a.png".into(), png())),
            ),
            Need::Author,
        ),
        post(
            format!("/admin/anh/{}", id("media")),
            form(&[("alt", "Ảnh đã sửa")]),
            Need::Editor,
        ),
        post(
            format!("/admin/anh/{}/xoa", id("media")),
            form(&[]),
            Need::Editor,
        ),
        // People, units, the CSV import.
        post(
            "/admin/nguoi-dung/moi".into(),
            form(&[
                ("name", "Trần Văn B"),
                ("email", "tran.b@loa.test"),
                ("unit", ""),
                ("role", "employee"),
            ]),
            Need::Admin,
        ),
        post(
            format!("/admin/nguoi-dung/{}", id("user")),
            form(&[
                ("name", "Mục tiêu đã sửa"),
                ("email", "muc-tieu@loa.test"),
                ("unit", ""),
                ("role", "employee"),
            ]),
            Need::Admin,
        ),
        post(
            format!("/admin/nguoi-dung/{}/dat-lai-mat-khau", id("user")),
            form(&[]),
            Need::Admin,
        ),
        post(
            format!("/admin/nguoi-dung/{}/khoa", id("user")),
            form(&[]),
            Need::Admin,
        ),
        post(
            format!("/admin/nguoi-dung/{}/mo-khoa", id("user")),
            form(&[]),
            Need::Admin,
        ),
        post(
            "/admin/nguoi-dung/nhap".into(),
            Body::Multipart(vec![("noi_dung".into(), csv.into())], None),
            Need::Admin,
        ),
        post(
            "/admin/nguoi-dung/nhap/xac-nhan".into(),
            form(&[("csv", csv)]),
            Need::Admin,
        ),
        post(
            "/admin/nguoi-dan".into(),
            form(&[("lien_he", "0912345678")]),
            Need::Admin,
        ),
        post(
            "/admin/don-vi/moi".into(),
            form(&[("name", "Phòng Mới"), ("slug", ""), ("parent", "")]),
            Need::Admin,
        ),
        post(
            format!("/admin/don-vi/{}", id("unit")),
            form(&[
                ("name", "Văn phòng Sở"),
                ("slug", "van-phong"),
                ("parent", ""),
            ]),
            Need::Admin,
        ),
    ]
}

async fn send(b: &Browser, case: &Case) -> reqwest::Response {
    match &case.body {
        Body::None => b.get(&case.path).await,
        Body::Form(pairs) => {
            let pairs: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            b.post(&case.path, &pairs).await
        }
        Body::Multipart(fields, file) => {
            let mut form = reqwest::multipart::Form::new();
            for (k, v) in fields {
                form = form.text(k.clone(), v.clone());
            }
            if let Some((name, bytes)) = file {
                form = form.part(
                    "file",
                    reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
                );
            }
            b.post_multipart(&case.path, form).await
        }
    }
}

async fn every_admin_route_and_action_answers_each_role_exactly(db: TestDb) {
    let whos = [
        Who::Anonymous,
        Who::As(Role::Employee),
        Who::Head,
        Who::As(Role::Author),
        Who::As(Role::Editor),
        Who::As(Role::Admin),
    ];
    let mut failures = Vec::new();
    for who in whos {
        let f = fixture(db.another().await).await;
        let other = match who {
            Who::Anonymous | Who::As(Role::Admin) => f.app.browser(),
            Who::Head => {
                crate::fixtures::person(
                    &f.app,
                    "truong@loa.test",
                    "Trưởng Văn phòng",
                    Role::Employee,
                    Some("van-phong"),
                    true,
                )
                .await
                .0
            }
            Who::As(Role::Author) => {
                let b = f.app.browser();
                assert_eq!(b.sign_in(&f.author_email, PASSWORD).await.status(), 303);
                b
            }
            Who::As(role) => f.app.signed_in(role).await,
        };
        let browser = if who == Who::As(Role::Admin) {
            &f.admin
        } else {
            &other
        };
        for case in cases(&f) {
            let r = send(browser, &case).await;
            let status = r.status().as_u16();
            let to = location(&r);
            let ok = match who {
                Who::Anonymous => status == 303 && to.starts_with("/dang-nhap?next="),
                who if case.need.allows(who) => {
                    (200..300).contains(&status) || (status == 303 && !to.starts_with("/dang-nhap"))
                }
                Who::As(_) | Who::Head => status == 403,
            };
            if !ok {
                failures.push(format!(
                    "{who:?} {} {} → {status} {to} (needs {:?})",
                    case.method, case.path, case.need
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected outcomes:\n{}",
        failures.join("\n")
    );
}
