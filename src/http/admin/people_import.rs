//! `/admin/nguoi-dung/nhap`: importing staff from a CSV. Upload (a file or pasted text) → a
//! preview of every row with its problems → confirm, which checks the text again (it comes back
//! from the browser, so the preview is never trusted) and creates every account in one
//! transaction, or none. The one-time passwords are shown once, on the answer to the confirm.

use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::people::{no_store, OneTimeAccount};
use crate::account::{self, NewPassword};
use crate::app::AppState;
use crate::db::users::{self, NewUser};
use crate::db::{audit, is_unique_violation, units};
use crate::error::Result;
use crate::http::auth::{self, Ctx, Page};
use crate::http::views::Layout;
use crate::staff_import::{self, Checked, Context, KnownUnit};
use crate::time;

/// Largest file accepted; a thousand staff fit in a tenth of it.
const MAX_FILE_BYTES: usize = 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nguoi-dung/nhap", get(show).post(preview))
        .route("/nguoi-dung/nhap/xac-nhan", post(confirm))
}

#[derive(Serialize)]
struct PreviewRow {
    line: u64,
    name: String,
    email: String,
    unit: String,
    role: String,
    problems: Vec<String>,
}

#[derive(Serialize)]
struct Preview {
    ok: bool,
    rows: Vec<PreviewRow>,
    file_problems: Vec<String>,
    row_count: usize,
    problem_count: usize,
}

impl From<&Checked> for Preview {
    fn from(c: &Checked) -> Self {
        Preview {
            ok: c.is_ok(),
            rows: c
                .rows
                .iter()
                .map(|r| PreviewRow {
                    line: r.line,
                    name: r.name.clone(),
                    email: r.email.clone(),
                    unit: r.unit.clone(),
                    role: r.role.clone(),
                    problems: r.problems.clone(),
                })
                .collect(),
            file_problems: c.file_problems.clone(),
            row_count: c.rows.len(),
            problem_count: c.problem_count(),
        }
    }
}

#[derive(Serialize)]
struct ImportView {
    #[serde(flatten)]
    layout: Layout,
    /// The text being imported (refills the textarea, travels in the confirm form).
    text: String,
    preview: Option<Preview>,
    error: Option<String>,
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    status: StatusCode,
    text: String,
    preview: Option<Preview>,
    error: Option<String>,
) -> Result<Response> {
    let title = "Nhập danh sách cán bộ";
    let view = ImportView {
        layout: Layout::load(state, ctx, title, title, "/admin/nguoi-dung/nhap").await?,
        text,
        preview,
        error,
    };
    state
        .templates
        .respond(status, "admin/people_import.html", &view)
}

/// The import page again with the problems of `checked` and `message` above them: nothing was
/// imported.
async fn refuse(
    state: &AppState,
    ctx: &Ctx,
    text: String,
    checked: &Checked,
    message: String,
) -> Result<Response> {
    let preview = Some(checked.into());
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    render(state, ctx, status, text, preview, Some(message)).await
}

async fn show(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    render(&state, &ctx, StatusCode::OK, String::new(), None, None).await
}

/// What the rows are checked against, read now.
async fn context(state: &AppState) -> Result<Context> {
    let units = units::all(&state.db)
        .await?
        .into_iter()
        .map(|u| KnownUnit {
            id: u.id,
            slug: u.slug,
            name: u.name,
        })
        .collect();
    Ok(Context {
        units,
        existing_emails: users::emails(&state.db).await?,
    })
}

/// Reads the upload form: the file when one was chosen, else the pasted text. The form's CSRF
/// token is checked here (the session layer leaves multipart forms to their handler): 403
/// unless it is the session's.
async fn read_upload(ctx: &Ctx, form: Multipart) -> Result<std::result::Result<String, String>> {
    let mut csrf = None;
    let read = read_fields(form, &mut csrf).await;
    auth::check_form_token(ctx, csrf.as_deref())?;
    Ok(read)
}

async fn read_fields(
    mut form: Multipart,
    csrf: &mut Option<String>,
) -> std::result::Result<String, String> {
    let mut file: Option<Vec<u8>> = None;
    let mut pasted = String::new();
    let unreadable = |_| "Không đọc được dữ liệu gửi lên; hãy thử lại.".to_owned();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        match field.name() {
            Some("tep") => {
                let bytes = field.bytes().await.map_err(unreadable)?;
                if bytes.len() > MAX_FILE_BYTES {
                    return Err(format!(
                        "Tệp lớn quá {} MB; hãy chia thành nhiều tệp nhỏ hơn.",
                        MAX_FILE_BYTES / (1024 * 1024)
                    ));
                }
                if !bytes.is_empty() {
                    file = Some(bytes.to_vec());
                }
            }
            Some("noi_dung") => pasted = field.text().await.map_err(unreadable)?,
            Some("csrf") => *csrf = Some(field.text().await.map_err(unreadable)?),
            _ => {}
        }
    }
    match file {
        Some(bytes) => staff_import::decode(&bytes),
        None if pasted.trim().is_empty() => {
            Err("Hãy chọn một tệp CSV hoặc dán nội dung vào ô bên dưới.".to_owned())
        }
        None => Ok(pasted),
    }
}

async fn preview(State(state): State<AppState>, ctx: Ctx, form: Multipart) -> Result<Response> {
    let text = match read_upload(&ctx, form).await? {
        Ok(t) => t,
        Err(message) => {
            return render(
                &state,
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                String::new(),
                None,
                Some(message),
            )
            .await
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned();
    let checked = staff_import::check(&text, &context(&state).await?);
    let status = if checked.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(&state, &ctx, status, text, Some((&checked).into()), None).await
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csv: String,
}

#[derive(Serialize)]
struct DoneView {
    #[serde(flatten)]
    layout: Layout,
    accounts: Vec<OneTimeAccount>,
}

async fn confirm(Page(state, ctx): Page, Form(form): Form<ConfirmForm>) -> Result<Response> {
    let actor = ctx.user()?.clone();
    let text = form.csv;
    let checked = staff_import::check(&text, &context(&state).await?);
    if !checked.is_ok() {
        let message = "Dữ liệu đã thay đổi so với lúc xem trước, chưa nhập ai. Hãy sửa các lỗi dưới đây rồi xem trước lại.".to_owned();
        return refuse(&state, &ctx, text, &checked, message).await;
    }
    let accounts = checked.accounts();

    // Hashing is slow on purpose: do it before the transaction, a few at a time (each argon2 run
    // takes its own memory), so the transaction stays short.
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let passwords: Vec<NewPassword> = accounts.iter().map(|_| NewPassword::random()).collect();
    let mut hashes = Vec::with_capacity(passwords.len());
    for chunk in passwords.chunks(parallel) {
        let mut set = tokio::task::JoinSet::new();
        for (i, p) in chunk.iter().cloned().enumerate() {
            set.spawn(async move { (i, account::hash_password(&p).await) });
        }
        let mut done: Vec<(usize, String)> = Vec::with_capacity(chunk.len());
        while let Some(joined) = set.join_next().await {
            let (i, hash) = joined.map_err(anyhow::Error::from)?;
            done.push((i, hash?));
        }
        done.sort_by_key(|(i, _)| *i);
        hashes.extend(done.into_iter().map(|(_, h)| h));
    }

    let now = time::now();
    let mut tx = state.db.begin().await?;
    let mut created = Vec::with_capacity(accounts.len());
    for ((a, hash), password) in accounts.iter().zip(hashes).zip(&passwords) {
        let new = NewUser {
            email: a.email.clone(),
            name: a.name.clone(),
            unit_id: a.unit_id,
            role: a.role,
            is_head: false,
            password_hash: hash,
            must_change_password: true,
        };
        let id = match users::insert(&mut tx, &new, now).await {
            Ok(id) => id,
            // An account with one of these addresses appeared since the check: nothing is kept.
            Err(e) if is_unique_violation(&e) => {
                drop(tx);
                let message = format!(
                    "Địa chỉ {} vừa được một tài khoản khác dùng; chưa nhập ai. Hãy xem trước lại.",
                    a.email
                );
                let checked = staff_import::check(&text, &context(&state).await?);
                return refuse(&state, &ctx, text, &checked, message).await;
            }
            Err(e) => return Err(e.into()),
        };
        created.push(OneTimeAccount {
            id,
            name: a.name.clone(),
            email: a.email.as_str().to_owned(),
            unit: a.unit_name.clone().unwrap_or_default(),
            role_label: a.role.label(),
            password: password.expose().to_owned(),
        });
    }
    let entry = audit::Entry {
        actor_id: Some(actor.id),
        actor_label: actor.email.clone(),
        action: "user.import",
        target_type: "user",
        target_id: None,
        target_label: format!("{} tài khoản", created.len()),
        detail: format!("đã tạo {} tài khoản từ tệp CSV", created.len()),
        ip: ctx.ip.clone(),
    };
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;

    let title = "Đã nhập danh sách cán bộ";
    let view = DoneView {
        layout: Layout::load(&state, &ctx, title, title, "/admin/nguoi-dung/nhap").await?,
        accounts: created,
    };
    let html = state
        .templates
        .render("admin/people_import_done.html", &view)?;
    Ok(no_store(StatusCode::OK, html))
}
