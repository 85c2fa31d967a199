//! The editor: `/admin/bai-viet/moi` and `/admin/bai-viet/{id}` (show, save, submit, publish,
//! schedule, preview without JavaScript), the conflict page of a stale save, and the live
//! preview endpoint the editor's script calls.

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};

use super::ack::{self, AckView};
use super::conflict::conflict;
use super::form::{Action, ArticleForm, FormErrors, Valid};
use super::timing::{
    end_detail, may_set_end, parse_datetime_local, published_cannot_be_scheduled, schedule_detail,
    to_datetime_local, EndChoice, Stored, TwoZones,
};
use super::{editor_url, open_article, record, Change, Snapshot};
use crate::app::AppState;
use crate::article::ArticleStatus;
use crate::db::articles::{self, admin, ArticleRow};
use crate::db::{is_unique_violation, topics, DbError, Tx};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser, Page};
use crate::http::page_cache::PublicPages;
use crate::http::views::Layout;
use crate::markdown::Body;
use crate::policy::{self, may_article, Target};
use crate::slug::Slug;
use crate::time;

/// `?thong_bao=` after a redirect: which notice to show once.
#[derive(Debug, Default, Deserialize)]
pub struct NoticeQuery {
    thong_bao: Option<String>,
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "da-tao" => "Đã tạo bài viết.",
        "da-luu" => "Đã lưu.",
        "da-gui-duyet" => "Đã gửi duyệt: biên tập viên sẽ xem và xuất bản bài.",
        "da-xuat-ban" => "Đã xuất bản: bài đã hiện trên trang.",
        "da-len-lich" => "Đã lên lịch xuất bản.",
        "da-huy-lich" => "Đã huỷ lịch: bài trở về bản nháp.",
        "da-luu-tru" => "Đã lưu trữ: bài không còn hiện trên trang.",
        "da-bo-luu-tru" => {
            "Đã khôi phục từ lưu trữ: bài là bản nháp, bấm «Xuất bản ngay» để đăng lại."
        }
        "da-khoi-phuc" => "Đã khôi phục bài viết đã xoá.",
        "da-thu-hoi" => "Đã thu hồi liên kết xem trước: liên kết cũ không còn mở được.",
        _ => return None,
    })
}

/// The article being edited, as the editor shows it around the form.
#[derive(Serialize)]
struct ArticleInfo {
    id: i64,
    status: &'static str,
    status_label: &'static str,
    author_name: Option<String>,
    updated: String,
    published: Option<TwoZones>,
    /// When the scheduler takes it off the site.
    ends: Option<TwoZones>,
    public_url: Option<String>,
    /// The printable poster with a QR code, for a published article and whoever may print it.
    poster_url: Option<String>,
    revisions_url: String,
    deleted: bool,
    has_preview_link: bool,
    // The actions this user may take now.
    can_submit: bool,
    can_archive: bool,
    can_unarchive: bool,
    can_unschedule: bool,
    can_delete: bool,
    can_restore: bool,
    can_preview_link: bool,
}

#[derive(Serialize)]
struct EditorPage {
    #[serde(flatten)]
    layout: Layout,
    heading: String,
    form_action: String,
    article: Option<ArticleInfo>,
    values: ArticleForm,
    errors: FormErrors,
    has_errors: bool,
    can_write: bool,
    can_publish: bool,
    /// "Publish now" and "schedule": for editors, on what is not published yet (a published
    /// article is archived before it is scheduled again).
    show_publish: bool,
    /// The "Gỡ bài lúc" field: for editors.
    show_end: bool,
    /// Why the form cannot be saved, when it cannot.
    read_only_reason: Option<&'static str>,
    /// Sanitised by the Markdown pipeline.
    preview_html: Option<String>,
    /// The chosen or stored publication time of a schedule, in both zones.
    schedule: Option<TwoZones>,
    /// The chosen or stored end, in both zones.
    end: Option<TwoZones>,
    notice: Option<&'static str>,
    /// A preview link just created: shown this once, never stored in clear.
    preview_link: Option<String>,
    /// When it stops working, Vietnam time.
    preview_link_until: Option<String>,
    /// The acknowledgment fields, for editors and admins.
    ack: Option<AckView>,
}

/// What the editor page shows besides the stored article.
#[derive(Default)]
pub(super) struct Extras {
    pub errors: FormErrors,
    pub preview_html: Option<String>,
    pub notice: Option<&'static str>,
    pub preview_link: Option<String>,
    pub preview_link_until: Option<String>,
}

/// Renders the editor for a new article (`row` is `None`) or a stored one, with `values` in the
/// fields.
pub(super) async fn render_editor(
    state: &AppState,
    ctx: &Ctx,
    row: Option<&ArticleRow>,
    mut values: ArticleForm,
    extras: Extras,
    status: StatusCode,
) -> Result<Response> {
    let user = ctx.user()?;
    let can_publish = policy::may(user, policy::Action::PublishArticle, Target::Agency);
    let (heading, form_action, article, can_write, read_only_reason) = match row {
        None => (
            "Viết bài mới".to_owned(),
            "/admin/bai-viet/moi".to_owned(),
            None,
            true,
            None,
        ),
        Some(r) => {
            let can_write = may_article(user, policy::Action::WriteArticle, r);
            let reason = if r.deleted_at.is_some() {
                Some("Bài viết này đã bị xoá; khôi phục bài để sửa.")
            } else if !can_write {
                Some("Bài đã được lên lịch, xuất bản hoặc lưu trữ: chỉ biên tập viên mới sửa được.")
            } else {
                None
            };
            (
                format!("Sửa bài: {}", r.title),
                format!("/admin/bai-viet/{}", r.id),
                Some(article_info(state, user, r).await?),
                can_write,
                reason,
            )
        }
    };
    let stored_schedule = row
        .filter(|r| r.status() == ArticleStatus::Scheduled)
        .and_then(|r| r.publish_at);
    let schedule = parse_datetime_local(&values.publish_at)
        .or(stored_schedule)
        .map(TwoZones::new);
    let stored_end = row.and_then(|r| r.unpublish_at);
    if values.unpublish_at.is_none() {
        // The form that came without the field left the stored end alone: show it.
        values.unpublish_at = Some(stored_end.map(to_datetime_local).unwrap_or_default());
    }
    let end = match values.end_choice(stored_end) {
        EndChoice::Set(t) => Some(t),
        EndChoice::Unchanged => stored_end,
        EndChoice::Cleared | EndChoice::Invalid => None,
    }
    .map(TwoZones::new);
    let ack = ack::view(&state.db, user, row.map(|r| r.id), &mut values.ack).await?;
    let path = form_action.clone();
    let view = EditorPage {
        layout: Layout::load(state, ctx, &heading, "Soạn bài viết", &path).await?,
        heading,
        form_action,
        article,
        values,
        has_errors: extras.errors.any(),
        errors: extras.errors,
        can_write,
        can_publish,
        show_publish: can_publish && row.is_none_or(|r| r.status() != ArticleStatus::Published),
        show_end: can_publish,
        read_only_reason,
        preview_html: extras.preview_html,
        schedule,
        end,
        notice: extras.notice,
        preview_link: extras.preview_link,
        preview_link_until: extras.preview_link_until,
        ack,
    };
    state
        .templates
        .respond(status, "admin/article_form.html", &view)
}

async fn article_info(state: &AppState, user: &CurrentUser, r: &ArticleRow) -> Result<ArticleInfo> {
    let st = r.status();
    let author_name = match r.author_id {
        Some(id) => admin::user_name(&state.db, id).await?,
        None => None,
    };
    let live = r.deleted_at.is_none();
    let editor = may_article(user, policy::Action::PublishArticle, r);
    Ok(ArticleInfo {
        id: r.id,
        status: st.as_str(),
        status_label: st.label(),
        author_name,
        updated: time::format_datetime(r.updated_at),
        published: r
            .publish_at
            .filter(|_| st == ArticleStatus::Published)
            .map(TwoZones::new),
        ends: r.unpublish_at.map(TwoZones::new),
        public_url: (st == ArticleStatus::Published && live)
            .then(|| format!("/bai-viet/{}", r.slug)),
        poster_url: (st == ArticleStatus::Published
            && live
            && policy::may(user, policy::Action::PrintPosters, Target::Agency))
        .then(|| format!("/admin/bai-viet/{}/ap-phich", r.id)),
        revisions_url: format!("/admin/bai-viet/{}/phien-ban", r.id),
        deleted: !live,
        has_preview_link: r.preview_token_hash.is_some(),
        can_submit: may_article(user, policy::Action::WriteArticle, r)
            && st == ArticleStatus::Draft,
        can_archive: editor && st != ArticleStatus::Archived,
        can_unarchive: editor && st == ArticleStatus::Archived,
        can_unschedule: editor && st == ArticleStatus::Scheduled,
        can_delete: editor,
        can_restore: !live && may_article(user, policy::Action::RestoreArticle, r),
        can_preview_link: live && st != ArticleStatus::Published,
    })
}

pub async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    render_editor(
        &state,
        &ctx,
        None,
        ArticleForm::default(),
        Extras::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn edit_form(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response> {
    let row = open_article(&state, &ctx, &id).await?;
    let names = topic_names(&state, row.id).await?;
    let values = ArticleForm::from_row(&row, &names);
    let extras = Extras {
        notice: q.thong_bao.as_deref().and_then(notice_text),
        ..Extras::default()
    };
    render_editor(&state, &ctx, Some(&row), values, extras, StatusCode::OK).await
}

pub(super) async fn topic_names(state: &AppState, id: i64) -> Result<Vec<String>> {
    let mut tx = state.db.begin().await?;
    let names = topics::names_for_article(&mut tx, id).await?;
    tx.commit().await?;
    Ok(names)
}

/// The "Xem trước" button: the same page, the preview below, nothing saved.
async fn preview_page(
    state: &AppState,
    ctx: &Ctx,
    row: Option<&ArticleRow>,
    values: ArticleForm,
) -> Result<Response> {
    let (extras, status) = match Body::new_off_thread(super::form::clean(&values.body)).await {
        Ok(body) => {
            let extras = Extras {
                preview_html: Some(body.rendered().html.clone()),
                ..Extras::default()
            };
            (extras, StatusCode::OK)
        }
        Err(e) => (
            invalid(FormErrors::body(&e)),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let page = render_editor(state, ctx, row, values, extras, status).await?;
    Ok(PublicPages::Unchanged.mark(page))
}

/// The form again, with what was wrong with it: 422, nothing stored.
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    row: Option<&ArticleRow>,
    form: ArticleForm,
    errors: FormErrors,
) -> Result<Response> {
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render_editor(state, ctx, row, form, invalid(errors), status).await
}

fn invalid(errors: FormErrors) -> Extras {
    Extras {
        errors,
        ..Extras::default()
    }
}

/// A checked form with its body rendered, off the async workers and before any transaction: a
/// long body holds up neither other requests nor the database's write lock.
async fn with_body<P>(
    checked: Result<(Valid, P), Box<FormErrors>>,
) -> Result<(Valid, P, Body), Box<FormErrors>> {
    let (valid, plan) = checked?;
    match Body::new_off_thread(valid.body.clone()).await {
        Ok(body) => Ok((valid, plan, body)),
        Err(e) => Err(Box::new(FormErrors::body(&e))),
    }
}

/// The error shown when another article took the slug between our check and our write.
fn slug_race() -> FormErrors {
    FormErrors {
        slug: Some("Đường dẫn này vừa được bài khác dùng; hãy lưu lại lần nữa.".into()),
        ..FormErrors::default()
    }
}

/// `wanted`, or `wanted-2`, `wanted-3`, … : the first that no other article uses now or used
/// before (old slugs keep redirecting to their article).
async fn unique_slug(tx: &mut Tx, wanted: &Slug, except: Option<i64>) -> Result<Slug, DbError> {
    let taken = articles::taken_slugs(tx, wanted.as_str(), except).await?;
    Ok(Slug::unique(wanted, |s| taken.contains(s)))
}

/// POST `/admin/bai-viet/moi`: creates the article, written by the current user.
pub async fn create(Page(state, ctx): Page, Form(form): Form<ArticleForm>) -> Result<Response> {
    let user = ctx.user()?;
    let action = form.action();
    let publishes = policy::may(user, policy::Action::PublishArticle, Target::Agency);
    if (action.needs_editor() && !publishes) || !may_set_end(user, &form, None) {
        return Err(AppError::Forbidden);
    }
    if action == Action::Preview {
        return preview_page(&state, &ctx, None, form).await;
    }
    let now = time::now();
    let plan = ack::plan(&state.db, user, None, &form.ack).await?;
    let checked = ack::combine(form.validate(action, now, &Stored::default()), plan);
    let (valid, ack_plan, body) = match with_body(checked).await {
        Ok(v) => v,
        Err(e) => return refuse(&state, &ctx, None, form, *e).await,
    };
    let (status, publish_at) = match action {
        Action::Save | Action::Preview => (ArticleStatus::Draft, None),
        Action::Submit => (ArticleStatus::Review, None),
        Action::Publish => (ArticleStatus::Published, Some(now)),
        Action::Schedule => (ArticleStatus::Scheduled, valid.publish_at),
    };
    let mut tx = state.db.begin().await?;
    let slug = unique_slug(&mut tx, &valid.slug, None).await?;
    let input = valid.into_input(body, slug, status, publish_at);
    let id = match articles::insert_authored(&mut tx, &input, Some(user.id), now).await {
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return refuse(&state, &ctx, None, form, slug_race()).await;
        }
        other => other?,
    };
    let (audit_action, reason, notice) = action.names();
    let snapshot = Snapshot {
        id,
        version: 1,
        title: &input.title,
        summary: &input.summary,
        body: &input.body,
    };
    let mut detail = format!("đường dẫn {}", input.slug);
    if let Some(end) = end_detail(None, input.unpublish_at) {
        detail = format!("{detail}; {end}");
    }
    for d in ack::apply(&mut tx, id, &ack_plan, user.id, now).await? {
        detail = format!("{detail}; {d}");
    }
    let created = Change {
        action: "article.create",
        reason: Some(reason),
        detail,
    };
    record(&mut tx, user, &ctx.ip, &snapshot, created, now).await?;
    if action != Action::Save {
        // Created and published (or submitted, or scheduled) at once: the log says both.
        let also = Change {
            action: audit_action,
            reason: None,
            detail: schedule_detail(None, publish_at.filter(|_| action == Action::Schedule)),
        };
        record(&mut tx, user, &ctx.ip, &snapshot, also, now).await?;
    }
    tx.commit().await?;
    let notice = if action == Action::Save {
        "da-tao"
    } else {
        notice
    };
    Ok(Redirect::to(&editor_url(id, notice)).into_response())
}

/// POST `/admin/bai-viet/{id}`: saves (with the version check), submits, publishes or
/// schedules; or shows the preview.
pub async fn save(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Form(form): Form<ArticleForm>,
) -> Result<Response> {
    let row = open_article(&state, &ctx, &id).await?;
    let user = ctx.user()?;
    let stored = Stored::of(&row);
    let action = form.action_for(&stored);
    if row.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if action == Action::Preview {
        return preview_page(&state, &ctx, Some(&row), form).await;
    }
    let current = row.status();
    let allowed = may_article(user, policy::Action::WriteArticle, &row)
        && (!action.needs_editor() || may_article(user, policy::Action::PublishArticle, &row))
        && may_set_end(user, &form, row.unpublish_at)
        && (action != Action::Submit
            || matches!(current, ArticleStatus::Draft | ArticleStatus::Review));
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if action == Action::Schedule && current == ArticleStatus::Published {
        // Scheduling would take a live article off the site until the new time: that is an
        // archival, and must be one, on purpose.
        return refuse(
            &state,
            &ctx,
            Some(&row),
            form,
            published_cannot_be_scheduled(),
        )
        .await;
    }
    let now = time::now();
    let plan = ack::plan(&state.db, user, Some(row.id), &form.ack).await?;
    let checked = ack::combine(form.validate(action, now, &stored), plan);
    let (valid, ack_plan, body) = match with_body(checked).await {
        Ok(v) => v,
        Err(e) => return refuse(&state, &ctx, Some(&row), form, *e).await,
    };
    let (status, publish_at) = match action {
        Action::Save | Action::Preview => (current, row.publish_at),
        Action::Submit => (ArticleStatus::Review, row.publish_at),
        Action::Publish if current == ArticleStatus::Published => (current, row.publish_at),
        Action::Publish => (ArticleStatus::Published, Some(now)),
        Action::Schedule => (ArticleStatus::Scheduled, valid.publish_at),
    };
    let mut tx = state.db.begin().await?;
    let slug = unique_slug(&mut tx, &valid.slug, Some(row.id)).await?;
    let input = valid.into_input(body, slug, status, publish_at);
    let version =
        match articles::update_if_version(&mut tx, row.id, form.version(), &input, now).await {
            Ok(Some(v)) => v,
            Ok(None) => {
                drop(tx);
                return conflict(&state, &ctx, row.id, form).await;
            }
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                return refuse(&state, &ctx, Some(&row), form, slug_race()).await;
            }
            Err(e) => return Err(e.into()),
        };
    let mut detail = Vec::new();
    if input.slug.as_str() != row.slug {
        articles::record_rename(&mut tx, row.id, &row.slug, input.slug.as_str(), now).await?;
        detail.push(format!("đường dẫn {} → {}", row.slug, input.slug));
    }
    if action == Action::Schedule {
        let old = row
            .publish_at
            .filter(|_| current == ArticleStatus::Scheduled);
        detail.push(schedule_detail(old, publish_at));
    }
    if let Some(end) = end_detail(row.unpublish_at, input.unpublish_at) {
        detail.push(end);
    }
    detail.extend(ack::apply(&mut tx, row.id, &ack_plan, user.id, now).await?);
    let (audit_action, reason, notice) = action.names();
    let snapshot = Snapshot {
        id: row.id,
        version,
        title: &input.title,
        summary: &input.summary,
        body: &input.body,
    };
    let change = Change {
        action: audit_action,
        reason: Some(reason),
        detail: detail.join("; "),
    };
    record(&mut tx, user, &ctx.ip, &snapshot, change, now).await?;
    tx.commit().await?;
    Ok(Redirect::to(&editor_url(row.id, notice)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct PreviewBody {
    #[serde(default)]
    body: String,
}

/// POST `/admin/bai-viet/xem-truoc` (from static/admin.js, with the `x-csrf-token` header): the
/// body rendered by the publishing pipeline (off the async workers), as a sanitised HTML
/// fragment; a body past the limits gets 422 and the reason as plain text, which the script
/// shows as text.
pub async fn live_preview(Form(p): Form<PreviewBody>) -> Response {
    let no_store = [(header::CACHE_CONTROL, "no-store")];
    // Sent as the editor types: it must not drop the public pages each time.
    let response = match Body::new_off_thread(super::form::clean(&p.body)).await {
        Ok(body) => (no_store, Html(body.rendered().html.clone())).into_response(),
        Err(e) => {
            let message = FormErrors::body(&e).body.unwrap_or_default();
            (StatusCode::UNPROCESSABLE_ENTITY, no_store, message).into_response()
        }
    };
    PublicPages::Unchanged.mark(response)
}
