//! Unit tests of the parent module.

use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn form(title: &str, body: &str) -> ArticleForm {
    ArticleForm {
        title: title.into(),
        body: body.into(),
        ..ArticleForm::default()
    }
}

#[test]
fn slugs_come_from_the_title_or_the_typed_text() {
    let now = utc("2026-01-01T00:00:00Z");
    let v = form("Chỉ số hài lòng", "x")
        .validate(Action::Save, now, &Stored::default())
        .unwrap();
    assert_eq!(v.slug.as_str(), "chi-so-hai-long");
    let mut f = form("Tiêu đề", "x");
    f.slug = " Đường dẫn Mới ".into();
    assert_eq!(
        f.validate(Action::Save, now, &Stored::default())
            .unwrap()
            .slug
            .as_str(),
        "duong-dan-moi"
    );
    let e = form("???", "x")
        .validate(Action::Save, now, &Stored::default())
        .unwrap_err();
    assert!(e.slug.is_some());
}

#[test]
fn a_cover_needs_its_alt_text_and_a_safe_address() {
    let now = utc("2026-01-01T00:00:00Z");
    let mut f = form("Tin", "x");
    f.cover = "/media/a.png".into();
    let e = f
        .validate(Action::Save, now, &Stored::default())
        .unwrap_err();
    assert!(e.cover_alt.is_some() && e.cover.is_none());
    f.cover = "javascript:alert(1)".into();
    f.cover_alt = "Ảnh".into();
    assert!(f
        .validate(Action::Save, now, &Stored::default())
        .unwrap_err()
        .cover
        .is_some());
    f.cover = "https://example.com/a.png".into();
    assert_eq!(
        f.validate(Action::Save, now, &Stored::default())
            .unwrap()
            .cover_alt
            .as_deref(),
        Some("Ảnh")
    );
}

#[test]
fn a_schedule_must_be_in_the_future() {
    let now = utc("2026-11-28T00:00:00Z");
    let mut f = form("Tin", "x");
    f.publish_at = "2026-11-28T07:00".into(); // exactly now, in Vietnam time
    assert!(f
        .validate(Action::Schedule, now, &Stored::default())
        .unwrap_err()
        .publish_at
        .is_some());
    f.publish_at = "2026-11-28T07:01".into();
    let v = f
        .validate(Action::Schedule, now, &Stored::default())
        .unwrap();
    assert_eq!(v.publish_at, Some(utc("2026-11-28T00:01:00Z")));
    // Other actions ignore the field.
    f.publish_at = "garbage".into();
    assert_eq!(
        f.validate(Action::Save, now, &Stored::default())
            .unwrap()
            .publish_at,
        None
    );
}

#[test]
fn a_schedule_needs_a_minute_of_lead() {
    let now = utc("2026-11-28T00:00:30Z"); // 07:00:30 in Vietnam
    let mut f = form("Tin", "x");
    f.publish_at = "2026-11-28T07:01".into(); // 30 s ahead
    let e = f
        .validate(Action::Schedule, now, &Stored::default())
        .unwrap_err();
    let message = e.publish_at.unwrap();
    assert!(message.contains("07:02 28/11/2026"), "{message}");
    f.publish_at = "2026-11-28T07:01:30".into(); // exactly a minute ahead
    assert!(f
        .validate(Action::Schedule, now, &Stored::default())
        .is_ok());
    f.publish_at = "2026-11-28T07:01:29".into();
    assert!(f
        .validate(Action::Schedule, now, &Stored::default())
        .is_err());
}

#[test]
fn the_end_follows_the_publication() {
    let now = utc("2026-11-28T00:00:00Z");
    let mut f = form("Tin", "x");
    f.publish_at = "2026-12-01T07:00".into();
    f.unpublish_at = Some("2026-12-01T07:00".into());
    let e = f
        .validate(Action::Schedule, now, &Stored::default())
        .unwrap_err();
    assert!(e.unpublish_at.unwrap().contains("07:00 01/12/2026"));
    f.unpublish_at = Some("2026-12-31T17:00".into());
    let v = f
        .validate(Action::Schedule, now, &Stored::default())
        .unwrap();
    assert_eq!(v.unpublish_at, Some(utc("2026-12-31T10:00:00Z")));
    // Publishing now: the end must come after now.
    f.unpublish_at = Some("2026-11-28T06:00".into());
    assert!(f
        .validate(Action::Publish, now, &Stored::default())
        .unwrap_err()
        .unpublish_at
        .is_some());
    f.unpublish_at = Some("ngày mai".into());
    assert!(f
        .validate(Action::Save, now, &Stored::default())
        .unwrap_err()
        .unpublish_at
        .is_some());
}

#[test]
fn the_end_is_kept_cleared_or_changed() {
    let now = utc("2026-11-28T00:00:00Z");
    let end = utc("2026-12-31T10:00:30Z"); // seconds the input does not show
    let stored = Stored {
        status: Some(ArticleStatus::Published),
        publish_at: Some(utc("2026-11-01T00:00:00Z")),
        unpublish_at: Some(end),
    };
    let mut f = form("Tin", "x");
    for (field, expected) in [
        (None, Some(end)),
        (Some("2026-12-31T17:00"), Some(end)),
        (Some(""), None),
        (Some("2027-01-01T08:00"), Some(utc("2027-01-01T01:00:00Z"))),
    ] {
        f.unpublish_at = field.map(str::to_owned);
        let v = f.validate(Action::Save, now, &stored).unwrap();
        assert_eq!(v.unpublish_at, expected, "{field:?}");
    }
    assert_eq!(
        f.end_choice(Some(end)),
        EndChoice::Set(utc("2027-01-01T01:00:00Z"))
    );
    f.unpublish_at = None;
    assert_eq!(f.end_choice(Some(end)), EndChoice::Unchanged);
    // A stored end that passed cannot ride along with a new publication.
    let archived = Stored {
        status: Some(ArticleStatus::Archived),
        unpublish_at: Some(utc("2026-11-01T00:00:00Z")),
        ..stored
    };
    assert!(f
        .validate(Action::Publish, now, &archived)
        .unwrap_err()
        .unpublish_at
        .is_some());
}

#[test]
fn text_is_normalised() {
    let now = utc("2026-01-01T00:00:00Z");
    let mut f = form("  Hai   dòng \r\n tiêu đề ", "a\r\nb\r\n\r\n");
    f.topics = " SIPAS , , Cải cách hành chính,".into();
    let v = f.validate(Action::Save, now, &Stored::default()).unwrap();
    assert_eq!(v.title, "Hai dòng tiêu đề");
    assert_eq!(v.body, "a\nb");
    assert_eq!(v.topics, ["SIPAS", "Cải cách hành chính"]);
    let body = Body::new(v.body.clone()).unwrap();
    let slug = v.slug.clone();
    let input = v.into_input(body, slug, ArticleStatus::Draft, None);
    assert_eq!(
        input.summary, "a b",
        "an empty summary is taken from the body"
    );
}

#[test]
fn topics_and_bodies_have_limits() {
    let now = utc("2026-01-01T00:00:00Z");
    let mut f = form("Tin", "x");
    f.topics = (1..=MAX_TOPICS)
        .map(|i| format!("Chủ đề {i}"))
        .collect::<Vec<_>>()
        .join(", ");
    assert!(f.validate(Action::Save, now, &Stored::default()).is_ok());
    f.topics.push_str(", Một chủ đề nữa");
    let e = f
        .validate(Action::Save, now, &Stored::default())
        .unwrap_err();
    assert_eq!(
        e.topics.as_deref(),
        Some("Có 21 chủ đề, nhiều nhất là 20: hãy bớt chủ đề.")
    );
    let e = FormErrors::body(&BodyError::TooManyHeadings { line: 7 });
    assert_eq!(
        e.body.as_deref(),
        Some("Nội dung có hơn 1000 tiêu đề mục: hãy gộp bớt hoặc chia thành nhiều bài (tiêu đề thứ 1001 ở dòng 7).")
    );
}
