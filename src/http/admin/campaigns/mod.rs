//! `/admin/chien-dich…`: campaigns — the list, the editor's form, the dashboard, a person's row,
//! the printable report, the exports (CSV, Excel) and "Nhắc ngay".
//!
//! These routes sit outside the `/admin` writer layer: unit heads are employees, yet they see
//! the campaigns of their own unit. Who may see what is `policy::may`; the [`Viewer`] extractor
//! refuses everyone else, and [`Focus::resolve`] turns a `don_vi` parameter into a scope only
//! when the policy allows that unit, so no URL or form field can widen a head's view.

mod dashboard;
mod export;
mod form;
mod list;
mod print;
mod report;
mod urge;
mod views;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::Router;

use crate::app::AppState;
use crate::db::campaigns::{self, CampaignRow, Scope};
use crate::db::units::{self, UnitRow};
use crate::error::{AppError, Result};
use crate::http::auth::{Ctx, CurrentUser};
use crate::policy::{self, Action, Target};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/chien-dich", get(list::list))
        .route("/chien-dich/moi", get(form::new).post(form::create))
        .route("/chien-dich/{slug}", get(dashboard::show))
        .route("/chien-dich/{slug}/sua", get(form::edit).post(form::update))
        .route("/chien-dich/{slug}/in", get(print::show))
        .route("/chien-dich/{slug}/nhac-ngay", post(urge::urge))
        .route("/chien-dich/{slug}/nguoi/{id}", get(dashboard::person))
        .route("/chien-dich/{slug}/xuat/{file}", get(export::download))
}

/// Someone who may look at campaigns: an editor, an admin, or a unit head. Anyone else is sent
/// to sign in, or refused with 403.
pub struct Viewer {
    pub ctx: Ctx,
    pub user: CurrentUser,
    /// The widest scope this person may see (everyone, or their unit's subtree).
    pub scope: Scope,
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let ctx = Ctx::from_request_parts(parts, state).await?;
        let user = ctx.user()?.clone();
        let scope = policy::campaign_scope(&user).ok_or(AppError::Forbidden)?;
        Ok(Viewer { ctx, user, scope })
    }
}

impl Viewer {
    /// Whether the policy allows `action` on the whole agency (editing campaigns, say).
    pub fn may_agency(&self, action: Action) -> bool {
        policy::may(&self.user, action, Target::Agency)
    }

    /// 403 unless [`Viewer::may_agency`].
    pub fn require(&self, action: Action) -> Result<()> {
        if self.may_agency(action) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// What a page is about: the scope its figures cover, and the unit when it is one unit's.
pub struct Focus {
    pub scope: Scope,
    /// The unit at the top of the scope; `None` for the whole agency.
    pub unit: Option<UnitRow>,
}

impl Focus {
    /// The viewer's widest scope, or — with `don_vi` (a unit's slug) — that unit's subtree when
    /// the policy lets the viewer do `action` there: 404 for an unknown unit, 403 for one
    /// outside their own subtree.
    pub async fn resolve(
        state: &AppState,
        viewer: &Viewer,
        don_vi: Option<&str>,
        action: Action,
    ) -> Result<Focus> {
        let all = units::all(&state.db).await?;
        let wanted = don_vi.map(str::trim).filter(|s| !s.is_empty());
        let unit = match (wanted, viewer.scope) {
            (Some(slug), _) => Some(
                all.iter()
                    .find(|u| u.slug == slug)
                    .ok_or(AppError::NotFound)?
                    .clone(),
            ),
            (None, Scope::Unit(own)) => all.iter().find(|u| u.id == own).cloned(),
            (None, Scope::All) => None,
        };
        let allowed = match &unit {
            Some(u) => policy::may(
                &viewer.user,
                action,
                Target::Unit(&units::ancestry(&all, u.id)),
            ),
            None => policy::may(&viewer.user, action, Target::Agency),
        };
        if !allowed {
            return Err(AppError::Forbidden);
        }
        Ok(Focus {
            scope: unit.as_ref().map_or(Scope::All, |u| Scope::Unit(u.id)),
            unit,
        })
    }

    /// "Toàn cơ quan", or the unit "và các đơn vị trực thuộc".
    pub fn label(&self) -> String {
        match &self.unit {
            None => "Toàn cơ quan".to_owned(),
            Some(u) => format!("{} và các đơn vị trực thuộc", u.name),
        }
    }

    /// The `?don_vi=` to keep on links and forms (empty for the whole agency).
    pub fn unit_slug(&self) -> &str {
        self.unit.as_ref().map_or("", |u| u.slug.as_str())
    }
}

/// The campaign of a URL, or 404.
pub async fn load(state: &AppState, slug: &str) -> Result<CampaignRow> {
    campaigns::by_slug(&state.db, slug)
        .await?
        .ok_or(AppError::NotFound)
}
