//! `/admin/nguoi-dung/moi` and `/admin/nguoi-dung/{id}`: creating an account (with a one-time
//! password shown once) and editing its name, e-mail, unit, role and head flag. A role change is
//! audited on its own, and the last active admin cannot lose the admin role.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::people::{
    clean_name, entry_for, one_time_page, parse_id, role_options, sentence, unit_options,
    OneTimeAccount, RoleOption, UnitOption, MAX_NAME_CHARS, NO_UNIT,
};
use crate::account::{self, Email, NewPassword, Role};
use crate::app::AppState;
use crate::db::units::{self, UnitRow};
use crate::db::users::{self, Changes, NewUser, UserRow};
use crate::db::{audit, is_unique_violation};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, Page};
use crate::http::views::Layout;
use crate::time;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/nguoi-dung/moi", get(new).post(create))
        .route("/nguoi-dung/{id}", get(edit).post(update))
}

/// The form as posted.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PersonForm {
    pub name: String,
    pub email: String,
    pub unit: String,
    pub role: String,
    pub is_head: Option<String>,
}

impl PersonForm {
    pub fn of(u: &UserRow) -> PersonForm {
        PersonForm {
            name: u.name.clone(),
            email: u.email.clone(),
            unit: u.unit_id.map(|id| id.to_string()).unwrap_or_default(),
            role: u.role.clone(),
            is_head: u.is_head.then(|| "on".to_owned()),
        }
    }
}

/// Messages next to the fields; `general` above the form.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FieldErrors {
    pub name: Option<String>,
    pub email: Option<String>,
    pub unit: Option<String>,
    pub role: Option<String>,
    pub general: Vec<String>,
}

impl FieldErrors {
    /// The e-mail address belongs to another account.
    fn email_taken() -> FieldErrors {
        FieldErrors {
            email: Some(EMAIL_TAKEN.to_owned()),
            ..Default::default()
        }
    }

    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.email.is_none()
            && self.unit.is_none()
            && self.role.is_none()
            && self.general.is_empty()
    }
}

pub const EMAIL_TAKEN: &str = "Địa chỉ thư điện tử này đã có tài khoản khác dùng.";
pub const LAST_ADMIN: &str = "Đây là quản trị viên cuối cùng còn hoạt động: hãy giao vai trò quản trị cho một tài khoản khác trước.";

/// Checks the form; `Changes` when everything is right.
fn validate(form: &PersonForm, all_units: &[UnitRow]) -> Result<Changes, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = clean_name(&form.name);
    if name.is_empty() {
        errors.name = Some("Hãy nhập họ tên.".to_owned());
    } else if name.chars().count() > MAX_NAME_CHARS {
        errors.name = Some(format!("Họ tên dài quá {MAX_NAME_CHARS} ký tự."));
    }
    let email = match Email::parse(&form.email) {
        Ok(e) => Some(e),
        Err(_) if form.email.trim().is_empty() => {
            errors.email = Some("Hãy nhập địa chỉ thư điện tử.".to_owned());
            None
        }
        Err(e) => {
            errors.email = Some(sentence(&e.to_string()));
            None
        }
    };
    let unit_id = match form.unit.trim() {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(id) if all_units.iter().any(|u| u.id == id) => Some(id),
            _ => {
                errors.unit = Some("Đơn vị này không có; hãy chọn lại.".to_owned());
                None
            }
        },
    };
    let role = match form.role.parse::<Role>() {
        Ok(r) => Some(r),
        Err(_) => {
            errors.role = Some("Hãy chọn một vai trò.".to_owned());
            None
        }
    };
    match (email, role, errors.is_empty()) {
        (Some(email), Some(role), true) => Ok(Changes {
            email,
            name,
            unit_id,
            role,
            is_head: form.is_head.is_some(),
        }),
        _ => Err(errors),
    }
}

/// What the edit page shows about an existing account besides the form.
#[derive(Clone, Debug, Serialize)]
pub struct AccountInfo {
    pub active: bool,
    pub must_change_password: bool,
    pub is_self: bool,
    pub created: String,
    pub updated: String,
}

#[derive(Serialize)]
struct FormView {
    #[serde(flatten)]
    layout: Layout,
    heading: String,
    id: Option<i64>,
    form: PersonForm,
    errors: FieldErrors,
    units: Vec<UnitOption>,
    roles: Vec<RoleOption>,
    account: Option<AccountInfo>,
    notice: Option<&'static str>,
}

/// Draws the new-account form (`user` is `None`) or an account's edit page. With messages the
/// status is 422: the form or action was refused and nothing changed.
pub async fn render(
    state: &AppState,
    ctx: &Ctx,
    user: Option<&UserRow>,
    form: PersonForm,
    errors: FieldErrors,
    notice: Option<&'static str>,
) -> Result<Response> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let all_units = units::all(&state.db).await?;
    let (heading, title, path) = match user {
        Some(u) => (
            u.name.clone(),
            format!("Tài khoản: {}", u.name),
            format!("/admin/nguoi-dung/{}", u.id),
        ),
        None => (
            "Tạo tài khoản".to_owned(),
            "Tạo tài khoản".to_owned(),
            "/admin/nguoi-dung/moi".to_owned(),
        ),
    };
    let me = ctx.user()?;
    let view = FormView {
        layout: Layout::load(state, ctx, &title, &title, &path).await?,
        heading,
        id: user.map(|u| u.id),
        units: unit_options(&all_units, form.unit.parse().ok(), &Default::default()),
        roles: role_options(&form.role),
        form,
        errors,
        account: user.map(|u| AccountInfo {
            active: u.active,
            must_change_password: u.must_change_password,
            is_self: u.id == me.id,
            created: time::format_datetime(u.created_at),
            updated: time::format_datetime(u.updated_at),
        }),
        notice,
    };
    let html = state.templates.render("admin/person_form.html", &view)?;
    Ok((status, axum::response::Html(html)).into_response())
}

async fn new(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    let form = PersonForm {
        role: Role::Employee.as_str().to_owned(),
        ..Default::default()
    };
    render(&state, &ctx, None, form, FieldErrors::default(), None).await
}

async fn create(Page(state, ctx): Page, Form(form): Form<PersonForm>) -> Result<Response> {
    let actor = ctx.user()?.clone();
    let all_units = units::all(&state.db).await?;
    let invalid = |errors| render(&state, &ctx, None, form.clone(), errors, None);
    let valid = match validate(&form, &all_units) {
        Ok(v) => v,
        Err(errors) => return invalid(errors).await,
    };
    if users::email_taken(&state.db, &valid.email, None).await? {
        return invalid(FieldErrors::email_taken()).await;
    }
    let password = NewPassword::random();
    let hash = account::hash_password(&password).await?;
    let new = NewUser {
        email: valid.email.clone(),
        name: valid.name.clone(),
        unit_id: valid.unit_id,
        role: valid.role,
        is_head: valid.is_head,
        password_hash: hash,
        must_change_password: true,
    };
    let now = time::now();
    let mut tx = state.db.begin().await?;
    let id = match users::insert(&mut tx, &new, now).await {
        Ok(id) => id,
        // Someone took the address between the check and the insert.
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return invalid(FieldErrors::email_taken()).await;
        }
        Err(e) => return Err(e.into()),
    };
    let unit_name = units::name_of(&all_units, valid.unit_id).map(str::to_owned);
    let detail = format!(
        "vai trò {}{}",
        valid.role.as_str(),
        unit_name
            .as_ref()
            .map(|n| format!(", đơn vị {n}"))
            .unwrap_or_default()
    );
    let entry = entry_for(
        &ctx,
        &actor,
        "user.create",
        id,
        valid.email.as_str(),
        detail,
    );
    audit::record(&mut tx, &entry, now).await?;
    tx.commit().await?;
    let account = OneTimeAccount {
        id,
        name: valid.name,
        email: valid.email.as_str().to_owned(),
        unit: unit_name.unwrap_or_default(),
        role_label: valid.role.label(),
        password: password.expose().to_owned(),
    };
    one_time_page(&state, &ctx, "Đã tạo tài khoản", account).await
}

#[derive(Deserialize)]
struct NoticeQuery {
    #[serde(default)]
    thong_bao: String,
}

/// Back to the account's page, which shows the message of `code` (see [`notice`]).
pub fn back_to_account(id: i64, code: &str) -> Response {
    Redirect::to(&format!("/admin/nguoi-dung/{id}?thong_bao={code}")).into_response()
}

/// The message of a `?thong_bao=` code set by the redirect after an action.
fn notice(code: &str) -> Option<&'static str> {
    match code {
        "da-luu" => Some("Đã lưu thay đổi."),
        "da-khoa" => Some("Đã khoá tài khoản; mọi phiên đăng nhập của tài khoản đã kết thúc."),
        "da-mo-khoa" => Some("Đã mở lại tài khoản."),
        _ => None,
    }
}

async fn edit(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let user = users::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = PersonForm::of(&user);
    let n = notice(&q.thong_bao);
    render(&state, &ctx, Some(&user), form, FieldErrors::default(), n).await
}

async fn update(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Form(form): Form<PersonForm>,
) -> Result<Response> {
    let id = parse_id(&id)?;
    let actor = ctx.user()?.clone();
    let user = users::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let all_units = units::all(&state.db).await?;
    let invalid = |errors| render(&state, &ctx, Some(&user), form.clone(), errors, None);
    let c = match validate(&form, &all_units) {
        Ok(c) => c,
        Err(errors) => return invalid(errors).await,
    };
    if users::email_taken(&state.db, &c.email, Some(id)).await? {
        return invalid(FieldErrors::email_taken()).await;
    }

    let now = time::now();
    // The admins are locked first, so two admins demoting each other cannot both pass the check.
    let mut tx = state.db.begin_write().await?;
    let admins = users::lock_active_admins(&mut tx).await?;
    // Compared with the row as the transaction sees it, not as the form was drawn.
    let old = users::by_id_tx(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let old_role = old.role();
    if old_role == Role::Admin && c.role != Role::Admin && old.active && admins <= 1 {
        drop(tx);
        let errors = FieldErrors {
            role: Some(LAST_ADMIN.to_owned()),
            ..Default::default()
        };
        return invalid(errors).await;
    }
    let mut changed = Vec::new();
    if old.name != c.name {
        changed.push(format!("họ tên: {} → {}", old.name, c.name));
    }
    if old.email != c.email.as_str() {
        changed.push(format!("thư điện tử: {} → {}", old.email, c.email));
    }
    if old.unit_id != c.unit_id {
        let name_of = |id| units::name_of(&all_units, id).unwrap_or(NO_UNIT);
        changed.push(format!(
            "đơn vị: {} → {}",
            name_of(old.unit_id),
            name_of(c.unit_id)
        ));
    }
    if old.is_head != c.is_head {
        changed.push(format!(
            "trưởng đơn vị: {}",
            if c.is_head { "có" } else { "không" }
        ));
    }
    if changed.is_empty() && old_role == c.role {
        return Ok(back_to_account(id, "da-luu"));
    }
    match users::update(&mut tx, id, &c, now).await {
        Ok(()) => {}
        Err(e) if is_unique_violation(&e) => {
            drop(tx);
            return invalid(FieldErrors::email_taken()).await;
        }
        Err(e) => return Err(e.into()),
    }
    if !changed.is_empty() {
        let entry = entry_for(
            &ctx,
            &actor,
            "user.update",
            id,
            c.email.as_str(),
            changed.join("; "),
        );
        audit::record(&mut tx, &entry, now).await?;
    }
    if old_role != c.role {
        let detail = format!("{} → {}", old_role.as_str(), c.role.as_str());
        let entry = entry_for(
            &ctx,
            &actor,
            "user.role_change",
            id,
            c.email.as_str(),
            detail,
        );
        audit::record(&mut tx, &entry, now).await?;
    }
    tx.commit().await?;
    Ok(back_to_account(id, "da-luu"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, email: &str, unit: &str, role: &str) -> PersonForm {
        PersonForm {
            name: name.into(),
            email: email.into(),
            unit: unit.into(),
            role: role.into(),
            is_head: None,
        }
    }

    #[test]
    fn the_form_is_checked_field_by_field() {
        let units = vec![UnitRow {
            id: 3,
            slug: "van-phong".into(),
            name: "Văn phòng".into(),
            parent_id: None,
            position: 0,
        }];
        let ok = validate(&form(" Lê  Văn A ", "A@B.vn", "3", "editor"), &units).unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.email.as_str()),
            ("Lê Văn A", "a@b.vn")
        );
        assert_eq!((ok.unit_id, ok.role), (Some(3), Role::Editor));

        let bad = validate(&form("", "x", "9", "vua"), &units).unwrap_err();
        assert!(bad.name.is_some() && bad.email.is_some());
        assert!(bad.unit.is_some() && bad.role.is_some());
    }
}
