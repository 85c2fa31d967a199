//! Who may do what, written once: [`may`] answers for an account, an [`Action`] and a
//! [`Target`]; handlers, extractors and templates ask it, and the matrix of tests below pins the
//! rules down. Start here to see or change a rule.
//!
//! The rules, in short:
//! - **Articles.** An author opens only their own articles and writes them only while they are
//!   drafts or in review (once scheduled, published or archived, a change would be publishing
//!   without review); editors and admins open and write any live article, and alone publish,
//!   schedule, set when an article leaves the site, archive, delete and make preview links. Only
//!   an admin sees deleted articles and restores them.
//! - **Images.** Everyone in the admin uploads; an author changes the alt text of their own
//!   images, editors and admins of any; only editors and admins delete.
//! - **Acknowledgments.** Editors and admins set who must acknowledge an article, record a
//!   confirmation on someone's behalf, revoke one, export the evidence and read the reminder log.
//! - **Campaigns.** Editors and admins see and run every campaign; a unit head (`is_head`,
//!   whatever their role) sees the progress, lists and exports of their own unit and every unit
//!   below it, and may urge them, but nothing of another unit; everyone else is refused.
//! - **Posters** and the places they hang in, and **topic names**, are for editors and admins.
//! - **People, units, the audit log and the jobs** are for admins (the `Admin` extractor).

use crate::account::Role;
use crate::article::ArticleStatus;
use crate::db::articles::ArticleRow;
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
    /// Open an article in the admin: its editor, its revisions, its line in the calendar.
    OpenArticle,
    /// Change an article's text and fields, submit it for review, restore a revision.
    WriteArticle,
    /// Publish, schedule, unschedule, set the end, archive, unarchive, delete, preview links.
    PublishArticle,
    /// List the deleted articles and restore one.
    RestoreArticle,
    /// Change an image's alt text.
    EditMedia,
    /// Delete an image.
    DeleteMedia,
    /// Record a confirmation on someone's behalf, revoke one, export the evidence, read the
    /// reminder log.
    ManageAcks,
    /// Rename a topic.
    ManageTopics,
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
    /// One article, as the rules see it.
    Article(ArticleFacts),
    /// One image, by who uploaded it.
    Media { uploaded_by: Option<i64> },
}

/// What the article rules look at: whose it is, where it stands, whether it was deleted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ArticleFacts {
    pub author_id: Option<i64>,
    pub status: ArticleStatus,
    pub deleted: bool,
}

impl From<&ArticleRow> for ArticleFacts {
    fn from(row: &ArticleRow) -> Self {
        ArticleFacts {
            author_id: row.author_id,
            status: row.status(),
            deleted: row.deleted_at.is_some(),
        }
    }
}

/// [`may`] for a stored article.
pub fn may_article(user: &CurrentUser, action: Action, row: &ArticleRow) -> bool {
    may(user, action, Target::Article(row.into()))
}

impl ArticleFacts {
    /// A live article of `author_id` in `status` (the calendar's and the list's rows).
    pub fn live(author_id: Option<i64>, status: ArticleStatus) -> ArticleFacts {
        ArticleFacts {
            author_id,
            status,
            deleted: false,
        }
    }
}

/// Whether `user` may do `action` on `target`.
pub fn may(user: &CurrentUser, action: Action, target: Target) -> bool {
    let editor = user.role >= Role::Editor;
    let admin = user.role == Role::Admin;
    let writer = user.role >= Role::Author;
    match (action, target) {
        (
            Action::EditCampaigns
            | Action::EditAcks
            | Action::PrintPosters
            | Action::ManagePlaces
            | Action::DeleteMedia
            | Action::ManageAcks
            | Action::ManageTopics,
            _,
        ) => editor,
        (Action::ListCampaigns, _) => editor || heads_a_unit(user).is_some(),
        (Action::ViewProgress | Action::Urge | Action::Export, _) => {
            editor
                || match (target, heads_a_unit(user)) {
                    (Target::Unit(ancestry), Some(own)) => ancestry.contains(&own),
                    _ => false,
                }
        }
        (Action::OpenArticle, Target::Article(a)) if a.deleted => admin,
        (Action::OpenArticle, Target::Article(a)) => editor || (writer && owns(user, a.author_id)),
        (Action::WriteArticle, Target::Article(a)) => {
            !a.deleted
                && (editor
                    || (writer
                        && owns(user, a.author_id)
                        && matches!(a.status, ArticleStatus::Draft | ArticleStatus::Review)))
        }
        // A new article (the agency's): anyone in the admin writes one.
        (Action::WriteArticle | Action::OpenArticle, _) => writer,
        (Action::PublishArticle, Target::Article(a)) => editor && !a.deleted,
        (Action::PublishArticle, _) => editor,
        (Action::RestoreArticle, _) => admin,
        (Action::EditMedia, Target::Media { uploaded_by }) => {
            editor || (writer && owns(user, uploaded_by))
        }
        (Action::EditMedia, _) => editor,
    }
}

/// True when the account is the one named (an article's author, an image's uploader).
fn owns(user: &CurrentUser, owner: Option<i64>) -> bool {
    owner == Some(user.id)
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

    fn article(author: i64, status: ArticleStatus, deleted: bool) -> Target<'static> {
        Target::Article(ArticleFacts {
            author_id: Some(author),
            status,
            deleted,
        })
    }

    /// The article matrix: (action, status, deleted) → (own author, other author, editor,
    /// admin). The author is account 1; "other" articles belong to account 2.
    #[test]
    fn the_article_matrix() {
        use ArticleStatus::*;
        let author = user(Role::Author, None, false);
        let editor = user(Role::Editor, None, false);
        let admin = user(Role::Admin, None, false);
        let employee = user(Role::Employee, None, true);
        #[rustfmt::skip]
        let rows: &[(Action, ArticleStatus, bool, [bool; 4])] = &[
            //                                      own    other  editor admin
            (Action::OpenArticle,    Draft,     false, [true,  false, true,  true ]),
            (Action::OpenArticle,    Published, false, [true,  false, true,  true ]),
            (Action::OpenArticle,    Draft,     true,  [false, false, false, true ]),
            (Action::WriteArticle,   Draft,     false, [true,  false, true,  true ]),
            (Action::WriteArticle,   Review,    false, [true,  false, true,  true ]),
            (Action::WriteArticle,   Scheduled, false, [false, false, true,  true ]),
            (Action::WriteArticle,   Published, false, [false, false, true,  true ]),
            (Action::WriteArticle,   Archived,  false, [false, false, true,  true ]),
            (Action::WriteArticle,   Draft,     true,  [false, false, false, false]),
            (Action::PublishArticle, Review,    false, [false, false, true,  true ]),
            (Action::PublishArticle, Published, true,  [false, false, false, false]),
            (Action::RestoreArticle, Draft,     true,  [false, false, false, true ]),
        ];
        for &(action, status, deleted, [own, other, ed, ad]) in rows {
            let case = format!("{action:?} {status:?} deleted={deleted}");
            // Who asks, and whose article (the author's own is account 1's).
            let askers = [
                (&author, 1, own),
                (&author, 2, other),
                (&editor, 2, ed),
                (&admin, 2, ad),
            ];
            for (who, owner, expected) in askers {
                let got = may(who, action, article(owner, status, deleted));
                assert_eq!(got, expected, "{:?} on {owner}'s: {case}", who.role);
            }
            let got = may(&employee, action, article(1, status, deleted));
            assert!(!got, "employee {case}");
        }
        // A new article: anyone in the admin writes one; only editors publish it.
        assert!(may(&author, Action::WriteArticle, Target::Agency));
        assert!(!may(&author, Action::PublishArticle, Target::Agency));
        assert!(may(&editor, Action::PublishArticle, Target::Agency));
        assert!(!may(&editor, Action::RestoreArticle, Target::Agency));
        assert!(may(&admin, Action::RestoreArticle, Target::Agency));
    }

    #[test]
    fn images_and_acknowledgment_records() {
        let author = user(Role::Author, None, false);
        let editor = user(Role::Editor, None, false);
        let mine = Target::Media {
            uploaded_by: Some(1),
        };
        let theirs = Target::Media {
            uploaded_by: Some(2),
        };
        assert!(may(&author, Action::EditMedia, mine));
        assert!(!may(&author, Action::EditMedia, theirs));
        assert!(!may(&author, Action::DeleteMedia, mine));
        assert!(may(&editor, Action::EditMedia, theirs));
        assert!(may(&editor, Action::DeleteMedia, theirs));
        assert!(!may(&author, Action::ManageAcks, Target::Agency));
        assert!(may(&editor, Action::ManageAcks, Target::Agency));
        assert!(!may(&author, Action::ManageTopics, Target::Agency));
        assert!(may(&editor, Action::ManageTopics, Target::Agency));
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
