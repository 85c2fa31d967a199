//! `/admin/noi-dat`: the places where posters hang (counters, one-stop desks) — the list, adding
//! one, renaming one. Their slugs go into printed QR codes, so a slug is set once and never
//! changed, and places are never deleted; `site.toml`'s `[[places]]` adds and renames them too.
//! Editors and admins (`policy::Action::ManagePlaces`); every change is audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::{Deserialize, Serialize};

use super::people::{clean_name, parse_id, rename_entry, sentence, RenameForm};
use crate::app::AppState;
use crate::db::{is_unique_violation, places};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser, Page};
use crate::http::views::Layout;
use crate::policy::{self, Action, Target};
use crate::slug::Slug;
use crate::time;

/// Longest place name: it is printed in small type at a poster's foot.
pub const MAX_PLACE_NAME_CHARS: usize = 120;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/noi-dat", get(list).post(create))
        .route("/noi-dat/{id}", post(rename))
}

#[derive(Serialize)]
struct PlaceItem {
    id: i64,
    slug: String,
    name: String,
}

#[derive(Default, Deserialize, Serialize)]
#[serde(default)]
struct NewPlace {
    name: String,
    slug: String,
}

#[derive(Default, Serialize)]
struct Errors {
    name: Option<String>,
    slug: Option<String>,
    /// A rename that failed: which place, and why.
    rename_id: i64,
    rename: Option<String>,
}

#[derive(Serialize)]
struct ListView {
    #[serde(flatten)]
    layout: Layout,
    places: Vec<PlaceItem>,
    form: NewPlace,
    errors: Errors,
}

fn require(ctx: &Ctx) -> Result<&CurrentUser> {
    let user = ctx.user()?;
    if policy::may(user, Action::ManagePlaces, Target::Agency) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

async fn render(
    state: &AppState,
    ctx: &Ctx,
    form: NewPlace,
    errors: Errors,
    status: StatusCode,
) -> Result<Response> {
    let places = places::all(&state.db)
        .await?
        .into_iter()
        .map(|p| PlaceItem {
            id: p.id,
            slug: p.slug,
            name: p.name,
        })
        .collect();
    let view = ListView {
        layout: Layout::load(
            state,
            ctx,
            "Nơi đặt áp phích",
            "Các quầy, bộ phận một cửa đặt áp phích có mã QR",
            "/admin/noi-dat",
        )
        .await?,
        places,
        form,
        errors,
    };
    state.templates.respond(status, "admin/places.html", &view)
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response> {
    require(&ctx)?;
    render(
        &state,
        &ctx,
        NewPlace::default(),
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

/// A place's name, cleaned, or the message saying what is wrong with it.
fn parse_name(raw: &str) -> std::result::Result<String, String> {
    let name = clean_name(raw);
    if name.is_empty() {
        Err("Hãy nhập tên nơi đặt.".to_owned())
    } else if name.chars().count() > MAX_PLACE_NAME_CHARS {
        Err(format!("Tên dài quá {MAX_PLACE_NAME_CHARS} ký tự."))
    } else {
        Ok(name)
    }
}

async fn create(Page(state, ctx): Page, Form(form): Form<NewPlace>) -> Result<Response> {
    let user = require(&ctx)?.clone();
    let mut errors = Errors::default();
    let name = parse_name(&form.name)
        .map_err(|e| errors.name = Some(e))
        .ok();
    let slug = match form.slug.trim() {
        "" => name.as_deref().and_then(Slug::from_title).ok_or_else(|| {
            "Hãy nhập đường dẫn (tên không có chữ hay số để tạo đường dẫn).".to_owned()
        }),
        s => Slug::parse(s).map_err(|e| sentence(&e.to_string())),
    };
    let slug = match slug {
        Ok(s) => Some(s),
        // Said once: a missing name already explains a missing derived slug.
        Err(e) if name.is_some() || !form.slug.trim().is_empty() => {
            errors.slug = Some(e);
            None
        }
        Err(_) => None,
    };
    let (Some(name), Some(slug)) = (name, slug) else {
        return render(&state, &ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let target = ("place", None, name.as_str());
    let audit = ctx.audit_entry(&user, "place.create", target, format!("đường dẫn {slug}"));
    match places::insert(&state.db, &slug, &name, audit, time::now()).await {
        Ok(_) => Ok(Redirect::to("/admin/noi-dat").into_response()),
        Err(e) if is_unique_violation(&e) => {
            errors.slug = Some(format!(
                "Đường dẫn «{slug}» đã có nơi đặt khác dùng; hãy chọn đường dẫn khác."
            ));
            render(&state, &ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn rename(
    Page(state, ctx): Page,
    Path(id): Path<String>,
    Form(f): Form<RenameForm>,
) -> Result<Response> {
    let user = require(&ctx)?.clone();
    let id = parse_id(&id)?;
    let place = places::by_id(&state.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let name = match parse_name(&f.name) {
        Ok(name) => name,
        Err(e) => {
            let errors = Errors {
                rename_id: id,
                rename: Some(e),
                ..Errors::default()
            };
            return render(
                &state,
                &ctx,
                NewPlace::default(),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if let Some(audit) = rename_entry(
        &ctx,
        &user,
        "place.rename",
        ("place", id),
        &place.name,
        &name,
    ) {
        places::rename(&state.db, id, &name, &audit, time::now()).await?;
    }
    Ok(Redirect::to("/admin/noi-dat").into_response())
}
