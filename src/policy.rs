//! Who may do what, written once: [`may`] answers for an account, an [`Action`] and a
//! [`Target`]; handlers, extractors and templates ask it, and the matrix of tests below pins the
//! rules down. Start here to see or change a rule.
//!
//! Today it holds the campaign rules: editors and admins see and run every campaign; a unit
//! head (`is_head`, whatever their role) sees the progress, lists and exports of their own unit
//! and every unit below it, and may urge them, but nothing of another unit; everyone else is
//! refused. Posters and the places they hang in are for editors and admins. Other rules of the
//! admin area are to move here (one `Action` each).

use crate::account::Role;
use crate::db::campaigns::Scope;
use crate::http::auth::CurrentUser;

/// Something someone may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Open the campaign list (each campaign's figures within one's own scope).
    ListCampaigns,
    /// Create a campaign, or change one's fields, period, targets and articles.
    EditCampaigns,
    /// See a campaign's progress, the pending list, the matrix, a person's row, the printable
    /// report — for the target.
    ViewProgress,
    /// Send "Nhắc ngay" to the pending people of the target.
    Urge,
    /// Download a report of the target (CSV, Excel).
    Export,
    /// Set who must acknowledge an article, until when, and its renewal rule (the editor's
    /// `[ack]` fields).
    EditAcks,
    /// Print a poster with a QR code for an article or a campaign.
    PrintPosters,
    /// Add or rename the places where posters hang.
    ManagePlaces,
}

/// What an action is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// The whole agency, or nothing tied to a unit (a campaign's own fields, people without a
    /// unit).
    Agency,
    /// One unit, given with its ancestry: `[the unit, its parent, …, its top unit]` (see
    /// `db::units::ancestry`), so a rule about "a unit and everything below it" is a lookup.
    Unit(&'a [i64]),
}

/// Whether `user` may do `action` on `target`.
pub fn may(user: &CurrentUser, action: Action, target: Target) -> bool {
    let editor = user.role >= Role::Editor;
    match action {
        Action::EditCampaigns | Action::EditAcks | Action::PrintPosters | Action::ManagePlaces => {
            editor
        }
        Action::ListCampaigns => editor || heads_a_unit(user).is_some(),
        Action::ViewProgress | Action::Urge | Action::Export => {
            editor
                || match (target, heads_a_unit(user)) {
                    (Target::Unit(ancestry), Some(own)) => ancestry.contains(&own),
                    _ => false,
                }
        }
    }
}

/// The unit a head heads, if the account is one.
fn heads_a_unit(user: &CurrentUser) -> Option<i64> {
    user.unit_id.filter(|_| user.is_head)
}

/// The widest scope whose campaign progress `user` may see: everyone for editors and admins,
/// their unit's subtree for a unit head, `None` (refuse) for anyone else.
pub fn campaign_scope(user: &CurrentUser) -> Option<Scope> {
    if may(user, Action::ViewProgress, Target::Agency) {
        return Some(Scope::All);
    }
    let own = heads_a_unit(user)?;
    may(user, Action::ViewProgress, Target::Unit(&[own])).then_some(Scope::Unit(own))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Units: 1 ⊃ 2 ⊃ 3; 4 apart.
    const UNIT_1: &[i64] = &[1];
    const UNIT_2: &[i64] = &[2, 1];
    const UNIT_3: &[i64] = &[3, 2, 1];
    const UNIT_4: &[i64] = &[4];

    const ALL: [Action; 8] = [
        Action::ListCampaigns,
        Action::EditCampaigns,
        Action::EditAcks,
        Action::ViewProgress,
        Action::Urge,
        Action::Export,
        Action::PrintPosters,
        Action::ManagePlaces,
    ];

    fn user(role: Role, unit: Option<i64>, is_head: bool) -> CurrentUser {
        CurrentUser {
            id: 1,
            email: "a@loa.test".into(),
            name: "A".into(),
            role,
            unit_id: unit,
            is_head,
            must_change_password: false,
            pending_acks: 0,
        }
    }

    #[test]
    fn editors_and_admins_may_everything_everywhere() {
        for role in [Role::Editor, Role::Admin] {
            let u = user(role, Some(4), false);
            for action in ALL {
                for target in [Target::Agency, Target::Unit(UNIT_1), Target::Unit(UNIT_3)] {
                    assert!(may(&u, action, target), "{role:?} {action:?} {target:?}");
                }
            }
            assert_eq!(campaign_scope(&u), Some(Scope::All));
        }
    }

    #[test]
    fn a_unit_head_sees_their_subtree_only() {
        for role in [Role::Employee, Role::Author] {
            let head = user(role, Some(2), true);
            for action in [Action::ViewProgress, Action::Urge, Action::Export] {
                assert!(may(&head, action, Target::Unit(UNIT_2)), "{action:?} own");
                assert!(may(&head, action, Target::Unit(UNIT_3)), "{action:?} below");
                assert!(
                    !may(&head, action, Target::Unit(UNIT_1)),
                    "{action:?} above"
                );
                assert!(
                    !may(&head, action, Target::Unit(UNIT_4)),
                    "{action:?} apart"
                );
                assert!(!may(&head, action, Target::Agency), "{action:?} agency");
            }
            assert!(may(&head, Action::ListCampaigns, Target::Agency));
            for action in [
                Action::EditCampaigns,
                Action::EditAcks,
                Action::PrintPosters,
                Action::ManagePlaces,
            ] {
                assert!(!may(&head, action, Target::Agency), "{action:?}");
                assert!(!may(&head, action, Target::Unit(UNIT_2)), "{action:?}");
            }
            assert_eq!(campaign_scope(&head), Some(Scope::Unit(2)));
        }
    }

    #[test]
    fn employees_authors_and_unitless_heads_are_refused() {
        let refused = [
            user(Role::Employee, Some(2), false),
            user(Role::Author, Some(2), false),
            user(Role::Employee, None, true),
            user(Role::Author, None, false),
        ];
        for u in refused {
            for action in ALL {
                for target in [Target::Agency, Target::Unit(UNIT_2), Target::Unit(UNIT_3)] {
                    assert!(!may(&u, action, target), "{u:?} {action:?} {target:?}");
                }
            }
            assert_eq!(campaign_scope(&u), None);
        }
    }
}
